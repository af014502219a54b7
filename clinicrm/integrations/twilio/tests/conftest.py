from clinicrm.devtools.fake_twilio.testing import fake_twilio

__all__ = ["fake_twilio"]
