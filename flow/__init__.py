"""The orchestration on top of everything: the ``dietsnn`` command (``flow.cli``), the bitstream flow
(``flow.bitstream``), stitch-and-simulate (``flow.stitch``) and predict at a level (``flow.predict``).

Dependencies point one way (README, "Layout"): ``flow`` may import every
package of the project; nothing imports ``flow`` but the tests and ``bench``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUN = ROOT / "models" / "fmnist"  #: the shipped trained default network
NETWORK_FILE = "network.snn.npz"
