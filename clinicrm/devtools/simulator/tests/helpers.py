import socket


def closed_port_url() -> str:
    """A local URL nobody listens on (the port is bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
