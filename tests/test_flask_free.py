"""Flask stays at the edge: the use cases, delivery, channels and store load without it.

Each module is imported in a fresh interpreter, since this test process has long
imported Flask for the other tests. A use case that reached for the app, even for a
single `current_app`, would fail here.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import responder

ROOT = Path(responder.__file__).parent

# Every module of these rooms, including ones added later.
WHOLE_ROOMS = ("bot", "conversations", "counselling", "staff", "privacy", "delivery", "reports")
# Rooms that hold some Flask wiring, by module. Left out, on purpose:
# - channels/phone.py drives the app's own test client, posting signed requests to
#   the webhook as Twilio would, for `responder chat`;
# - store/db.py is the app's database wiring: one engine per app and the request's
#   session on flask.g.
PARTLY = {
    "channels": ("transport", "simulator", "twilio"),
    "store": ("base", "models", "events", "counts", "migrate"),
}
# Built from a Mapping of settings and the services, so the worker and commands can
# use it as well as the views.
TOP_LEVEL = ("responder.policies",)

CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "flask" in sys.modules:
        sys.exit(f"importing {name} imported flask")
print("flask-free", len(sys.argv) - 1)
"""


def flask_free_modules() -> list[str]:
    names = []
    for room in WHOLE_ROOMS:
        names.append(f"responder.{room}")
        names += [
            f"responder.{room}.{module.name}" for module in pkgutil.iter_modules([ROOT / room])
        ]
    for room, modules in PARTLY.items():
        names += [f"responder.{room}.{module}" for module in modules]
    return names + list(TOP_LEVEL)


def test_the_rooms_below_the_web_load_without_flask() -> None:
    names = flask_free_modules()
    assert "responder.conversations.queue" in names  # the rooms were walked
    result = subprocess.run(
        [sys.executable, "-c", CHECK, *names], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"flask-free {len(names)}"
