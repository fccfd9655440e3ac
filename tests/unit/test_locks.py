import threading
import time

from wiki.locks import exclusive


def test_a_held_lock_is_refused_without_waiting_and_granted_after(tmp_path):
    path = tmp_path / "sub" / "x.lock"
    with exclusive(path) as held:
        assert held
        with exclusive(path, wait=0) as other:  # another open file: another holder
            assert not other
        started = time.monotonic()
        with exclusive(path, wait=0.05) as other:
            assert not other and time.monotonic() - started >= 0.05
    with exclusive(path, wait=0) as again:
        assert again


def test_the_next_holder_starts_when_the_first_is_done(tmp_path):
    path, order = tmp_path / "x.lock", []
    inside = threading.Event()

    def first():
        with exclusive(path):
            inside.set()
            time.sleep(0.1)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    with exclusive(path) as held:  # waits as long as it takes
        order.append("second")
        assert held
    thread.join()
    assert order == ["first", "second"]


def test_the_thread_lock_is_taken_and_given_back(tmp_path):
    lock = threading.Lock()
    with exclusive(tmp_path / "x.lock", lock) as held:
        assert held and lock.locked()
    assert not lock.locked()
    lock.acquire()
    with exclusive(tmp_path / "x.lock", lock, wait=0.01) as held:
        assert not held
    lock.release()
