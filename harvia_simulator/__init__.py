"""harvia_simulator: a local fake of the Harvia sauna cloud for tests and demos.

cloud = HarviaCloud()
account = cloud.add_account("owner@example.com", "s3cret-pass")
device = cloud.add_device(account, "fenix", name="Home Sauna")
async with SimulatorServer(cloud) as server:
    ...  # point a client at server.endpoints_url; drive time with cloud.advance()
"""

from .accounts import Account
from .cloud import HarviaCloud
from .devices import Panel, SimDevice
from .errors import SimError
from .events import OtaPush, StatePush, TelemetryPush
from .faults import Faults
from .server import SimulatorServer

__all__ = [
    "Account",
    "Faults",
    "HarviaCloud",
    "OtaPush",
    "Panel",
    "SimDevice",
    "SimError",
    "SimulatorServer",
    "StatePush",
    "TelemetryPush",
]
