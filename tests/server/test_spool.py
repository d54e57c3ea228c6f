"""The inbox's spool: per-process segment files the collector appends to and
the writer reads, stores to and removes (`server.sink.spool`)."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from server.sink import spool
from server.sink.inbox import Inbox


def drain(inbox: Inbox, batch: int = 7) -> list[bytes]:
    """What a writer takes, batch after batch, marking each stored."""
    payloads: list[bytes] = []
    while entries := inbox.oldest(batch):
        payloads += [entry.payload for entry in entries]
        inbox.done([entry.id for entry in entries])
    return payloads


def segment_files(inbox: Inbox) -> list[str]:
    directory = inbox.path.with_name(inbox.path.name + ".spool")
    return sorted(name for name in os.listdir(directory) if name.endswith(spool.SUFFIX))


def append_from_a_child(path, payloads) -> None:
    Inbox(path).append(payloads)


def test_appends_of_threads_and_processes_are_each_read_once_then_their_segments_go(tmp_path):
    inbox = Inbox(tmp_path / "inbox.sqlite")
    sent = [f"child-{n}".encode() for n in range(50)]
    child = multiprocessing.get_context("fork").Process(
        target=append_from_a_child, args=(inbox.path, sent)
    )
    child.start()
    child.join()

    def append_some(thread: int) -> None:
        for n in range(100):
            inbox.append([f"thread-{thread}-{n}".encode()])

    threads = [threading.Thread(target=append_some, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inbox.waiting() == 450
    read = drain(inbox)
    assert sorted(read) == sorted(
        sent + [f"thread-{t}-{n}".encode() for t in range(4) for n in range(100)]
    )
    assert inbox.waiting() == 0
    # The child's segment is gone (its process ended); this process's stays open for its next append.
    assert len(segment_files(inbox)) == 1
    inbox.append([b"later"])
    assert drain(inbox) == [b"later"]


def test_a_restarted_writer_goes_on_where_the_last_one_marked_its_work_stored(tmp_path):
    path = tmp_path / "inbox.sqlite"
    Inbox(path).append([b"a", b"b", b"c"])
    first = Inbox(path)
    taken = first.oldest(2)
    first.done([taken[0].id])  # killed after storing "a" only
    second = Inbox(path)
    assert [entry.payload for entry in second.oldest(10)] == [b"b", b"c"]


def test_a_torn_frame_waits_while_its_process_may_still_write_then_goes_to_the_dead_letters(
    tmp_path,
):
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.append([b"whole"])
    [segment] = segment_files(inbox)
    segment_path = inbox.path.with_name(inbox.path.name + ".spool") / segment
    with open(segment_path, "ab") as file:  # half a frame, as a process killed mid-write leaves
        file.write(spool.frames([b"torn record"])[:9])
    assert [entry.payload for entry in inbox.oldest(10)] == [b"whole"]  # the appender is alive

    inbox._appender._close()  # the appending process ends
    entries = inbox.oldest(10)
    assert entries[0].payload == b"whole" and len(entries) == 2
    inbox.done([entries[0].id])
    inbox.bury([(entries[1], "undecodable")])
    assert inbox.dead_count() == 1 and inbox.waiting() == 0
    assert segment_files(inbox) == []


def test_a_process_starts_a_new_segment_past_the_size_and_the_stored_old_one_goes(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(spool, "SEGMENT_BYTES", 64)
    inbox = Inbox(tmp_path / "inbox.sqlite")
    for n in range(10):
        inbox.append([f"record number {n}".encode()])
    assert len(segment_files(inbox)) > 1
    assert sorted(drain(inbox)) == [f"record number {n}".encode() for n in range(10)]
    assert len(segment_files(inbox)) == 1  # only the one still open


@pytest.mark.parametrize("damage", ["checksum", "length"])
def test_a_damaged_closed_segment_loses_nothing_before_the_damage(tmp_path, damage):
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.append([b"first", b"second"])
    inbox._appender._close()
    [segment] = segment_files(inbox)
    segment_path = inbox.path.with_name(inbox.path.name + ".spool") / segment
    data = bytearray(segment_path.read_bytes())
    second = spool.FRAME.size + len(b"first")
    if damage == "checksum":
        data[-1] ^= 0xFF
    else:
        data[second : second + 4] = (10**6).to_bytes(4, "big")
    segment_path.write_bytes(bytes(data))
    first, rest = inbox.oldest(10)
    assert first.payload == b"first" and rest.payload != b"second"
