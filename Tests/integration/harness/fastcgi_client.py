"""A minimal FastCGI client (responder role), to send presignd what nginx never would:
truncated bodies, oversized params. Follows the FastCGI 1.0 record layout."""
import socket
import struct

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7


def _record(kind, content, request_id=1):
    out = b""
    for start in range(0, max(len(content), 1), 65535):
        chunk = content[start:start + 65535]
        padding = (-len(chunk)) % 8
        out += struct.pack("!BBHHBx", 1, kind, request_id, len(chunk), padding) + chunk + b"\0" * padding
        if not content:
            break
    return out


def _length(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(params):
    out = b""
    for name, value in params.items():
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        out += _length(len(name)) + _length(len(value)) + name + value
    return out


def request(address, params, body=b"", keep_conn=False, sock=None):
    """Sends one request; returns (raw stdout bytes, socket if kept open)."""
    if sock is None:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(address)
    flags = 1 if keep_conn else 0
    data = _record(BEGIN_REQUEST, struct.pack("!HB5x", 1, flags))
    encoded = encode_params(params)
    if encoded:
        data += _record(PARAMS, encoded)
    data += _record(PARAMS, b"")
    if body:
        data += _record(STDIN, body)
    data += _record(STDIN, b"")
    sock.sendall(data)
    stdout = b""
    buffer = b""
    while True:
        while len(buffer) < 8:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before END_REQUEST")
            buffer += chunk
        _, kind, _, length, padding = struct.unpack("!BBHHBx", buffer[:8])
        while len(buffer) < 8 + length + padding:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside a record")
            buffer += chunk
        content, buffer = buffer[8:8 + length], buffer[8 + length + padding:]
        if kind == STDOUT:
            stdout += content
        elif kind == END_REQUEST:
            break
    if not keep_conn:
        sock.close()
        sock = None
    return stdout, sock
