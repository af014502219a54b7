import pytest

from clinicrm.messaging.identity import contact_identity


@pytest.mark.parametrize(
    ("raw", "alt", "key", "raw_id", "lid"),
    [
        ("5511988887777@s.whatsapp.net", "", "+5511988887777", "5511988887777@s.whatsapp.net", ""),
        # Old 12-digit JID: the ninth digit is restored, same thread as the 13-digit form.
        ("551188887777@s.whatsapp.net", "", "+5511988887777", "551188887777@s.whatsapp.net", ""),
        ("553187654321@s.whatsapp.net", "", "+5531987654321", "553187654321@s.whatsapp.net", ""),
        (
            "5511988887777:12@s.whatsapp.net",
            "",
            "+5511988887777",
            "5511988887777:12@s.whatsapp.net",
            "",
        ),
        ("5511988887777@c.us", "", "+5511988887777", "5511988887777@c.us", ""),
        # @lid with the phone JID beside it (Evolution 2.3.5/2.3.6) and the 2.4.0 swap.
        (
            "187263544123456@lid",
            "5521998765432@s.whatsapp.net",
            "+5521998765432",
            "5521998765432@s.whatsapp.net",
            "187263544123456@lid",
        ),
        (
            "5521998765432@s.whatsapp.net",
            "187263544123456@lid",
            "+5521998765432",
            "5521998765432@s.whatsapp.net",
            "187263544123456@lid",
        ),
        ("187263544123456@lid", "", "lid:187263544123456", "", "187263544123456@lid"),
        # Twilio From and WaId.
        ("whatsapp:+5511988887777", "", "+5511988887777", "whatsapp:+5511988887777", ""),
        ("whatsapp:+551188887777", "5511988887777", "+5511988887777", "whatsapp:+551188887777", ""),
        ("whatsapp:+14155238886", "", "+14155238886", "whatsapp:+14155238886", ""),
        ("5511988887777", "", "+5511988887777", "5511988887777", ""),
    ],
)
def test_contact_identity(raw, alt, key, raw_id, lid):
    identity = contact_identity(raw, alt)
    assert identity is not None
    assert (identity.thread_key, identity.raw_id, identity.lid) == (key, raw_id, lid)


@pytest.mark.parametrize(
    "raw",
    [
        "120363025486748009@g.us",
        "status@broadcast",
        "",
        "   ",
        "abc@newsletter",
        "12@s.whatsapp.net",
    ],
)
def test_groups_broadcasts_and_garbage_are_ignored(raw):
    assert contact_identity(raw) is None


def test_twelve_and_thirteen_digit_forms_share_a_key():
    a = contact_identity("551188887777@s.whatsapp.net")
    b = contact_identity("whatsapp:+5511988887777")
    assert a is not None and b is not None
    assert a.thread_key == b.thread_key
    assert a.raw_id != b.raw_id
