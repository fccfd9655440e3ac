"""`wiki serve` stays responsive while clients stall (threads, and read deadlines)."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from tests.served import serve

pytestmark = pytest.mark.slow
READ_TIMEOUT = 3  # WIKI_BODY_READ_TIMEOUT of the served wiki


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    served = serve(
        tmp_path_factory.mktemp("slow"), {}, env={"WIKI_BODY_READ_TIMEOUT": str(READ_TIMEOUT)}
    )
    yield served
    served.stop()


def connect(served) -> socket.socket:
    host, port = served.base.split("//", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def stalled_post(served) -> socket.socket:
    """A POST that announces 100000 bytes, sends a few, and stops."""
    sock = connect(served)
    sock.sendall(
        b"POST /-/login HTTP/1.1\r\nHost: wiki\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\nusername=a"
    )
    return sock


def health_seconds(served) -> float:
    start = time.monotonic()
    with urllib.request.urlopen(served.base + "/-/health", timeout=2) as answer:
        assert answer.status == 200
    return time.monotonic() - start


def outcome(sock: socket.socket, wait: float) -> bytes:
    """What the server sent before closing (b"" when it just closed); fails while the
    connection is still open after `wait` seconds."""
    sock.settimeout(wait)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server still holds the connection after {wait} s: {data[:200]!r}")
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return data


def test_stalled_uploads_leave_the_wiki_responsive_and_get_408(served):
    stalled = [stalled_post(served) for _ in range(6)]
    started = time.monotonic()
    time.sleep(0.5)  # they have all been taken by threads
    for _ in range(5):
        assert health_seconds(served) < 2
    for sock in stalled:
        answer = outcome(sock, READ_TIMEOUT + 12 - (time.monotonic() - started))
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
        if answer:
            assert b"did not arrive in time" in answer
    assert any(True for _ in stalled)


def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_deadline(served):
    sock = stalled_post(served)
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < READ_TIMEOUT + 5:
        try:
            sock.sendall(b"x")
        except OSError:
            break
        try:
            if sock.recv(65536, socket.MSG_PEEK):
                break  # the server answered
        except TimeoutError:
            pass
        except OSError:
            break
        time.sleep(0.3)
    elapsed = time.monotonic() - started
    answer = outcome(sock, 5)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert elapsed < READ_TIMEOUT + 3


def test_a_request_head_that_never_ends_is_dropped(served):
    sockets = []
    for _ in range(6):
        sock = connect(served)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: wiki\r\n")
        sockets.append(sock)
    started = time.monotonic()
    time.sleep(0.5)
    for sock in sockets:  # a header line now and then does not buy more time
        sock.sendall(b"X-Slow: 1\r\n")
    assert health_seconds(served) < 2
    for sock in sockets:
        assert outcome(sock, READ_TIMEOUT + 12 - (time.monotonic() - started)) == b""


def test_a_complete_post_is_still_answered(served):
    sock = connect(served)
    body = b"username=nobody&password=wrong"
    sock.sendall(
        b"POST /-/login HTTP/1.1\r\nHost: wiki\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = outcome(sock, 10)
    assert answer.startswith(b"HTTP/1.1 ") and not answer.startswith(b"HTTP/1.1 408")
