"""The WhatsApp phone simulator (development only): views.py, fakes.py, tests/."""
