#!/usr/bin/env python3
"""Python's multiprocessing.Pipe doing the work of bench/bench_connection.cpp.

Same groups, same message sizes and counts, same output format (one JSON
object per line, "impl": "python"); each value is the median of the rounds.
Each round starts a fresh forked peer; the start is outside the timed part.
Ping-pong runs with the C++ side's CPU placements: parent and peer pinned to
one CPU (.1cpu), then to two (.2cpu). Standard library only.
"""
import multiprocessing
import os
import statistics
import sys
import time

from _common import report, rounds

PINGPONG_ITERS = 20000
BULK_MESSAGES = 256
BULK_SIZE = 1 << 20
SMALL_MESSAGE = b"p" * 64
WARMUP = 100

ctx = multiprocessing.get_context("fork")  # as the C++ side: a forked peer


def run_peer(target, mine, theirs, cpu=None):
    """Starts `target(theirs)` in a forked child (pinned to `cpu` if given);
    returns the process."""
    peer = ctx.Process(target=_peer_main, args=(target, mine, theirs, cpu))
    peer.start()
    theirs.close()
    return peer


def _peer_main(target, mine, theirs, cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    mine.close()
    target(theirs)


def join_peer(peer):
    peer.join()
    if peer.exitcode != 0:
        raise RuntimeError(f"bench peer failed with exit code {peer.exitcode}")


# ---- ping-pong -----------------------------------------------------------

def pingpong(placement, exchange, echo):
    """us per round trip: the parent runs `exchange` on its CPU, the child
    `echo` on its own (placement = (parent_cpu, peer_cpu))."""
    parent_cpu, peer_cpu = placement
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {parent_cpu})
    try:
        mine, theirs = ctx.Pipe()

        def serve(conn):
            for _ in range(WARMUP + PINGPONG_ITERS):
                echo(conn)

        peer = run_peer(serve, mine, theirs, peer_cpu)
        for _ in range(WARMUP):
            exchange(mine)
        start = time.perf_counter()
        for _ in range(PINGPONG_ITERS):
            exchange(mine)
        us = (time.perf_counter() - start) * 1e6 / PINGPONG_ITERS
        join_peer(peer)
        mine.close()
        return us
    finally:
        os.sched_setaffinity(0, saved)


def placements():
    """(group suffix, (parent_cpu, peer_cpu)) as bench_connection.cpp picks them."""
    cpus = sorted(os.sched_getaffinity(0))
    found = [(".1cpu", (cpus[0], cpus[0]))]
    if len(cpus) > 1:
        found.append((".2cpu", (cpus[0], cpus[1])))
    else:
        print("bench_connection.py: one CPU allowed: no .2cpu ping-pong", file=sys.stderr)
    return found


def exchange_int(conn):
    conn.send(42)
    if conn.recv() != 42:
        raise RuntimeError("ping-pong: wrong message came back")


def echo_int(conn):
    conn.send(conn.recv())


def exchange_bytes(conn):
    conn.send_bytes(SMALL_MESSAGE)
    if conn.recv_bytes() != SMALL_MESSAGE:
        raise RuntimeError("ping-pong: wrong message came back")


def echo_bytes(conn):
    conn.send_bytes(conn.recv_bytes())


# ---- bulk ----------------------------------------------------------------

def bulk(receive):
    """MB/s: the parent sends BULK_MESSAGES of BULK_SIZE bytes, the child
    receives each with `receive` and acknowledges the lot."""
    payload = b"b" * BULK_SIZE
    warmup_messages = 4
    mine, theirs = ctx.Pipe()

    def serve(conn):
        for count in (warmup_messages, BULK_MESSAGES):
            for _ in range(count):
                if receive(conn) != BULK_SIZE:
                    raise RuntimeError("bulk: wrong message size")
            conn.send_bytes(b"k")

    peer = run_peer(serve, mine, theirs)
    seconds = 0.0
    for count in (warmup_messages, BULK_MESSAGES):
        start = time.perf_counter()
        for _ in range(count):
            mine.send_bytes(payload)
        mine.recv_bytes()
        seconds = time.perf_counter() - start
    join_peer(peer)
    mine.close()
    return BULK_MESSAGES * BULK_SIZE / seconds / 1e6


def receiver_into():
    buffer = bytearray(BULK_SIZE)  # reused, as recv_bytes_into intends
    return lambda conn: conn.recv_bytes_into(buffer)


def receive_bytes(conn):
    return len(conn.recv_bytes())


def main():
    n = rounds()
    for suffix, where in placements():
        report("pipe.pingpong.int" + suffix,
               statistics.median(pingpong(where, exchange_int, echo_int) for _ in range(n)), "us/op")
        report("pipe.pingpong.bytes" + suffix,
               statistics.median(pingpong(where, exchange_bytes, echo_bytes) for _ in range(n)), "us/op")
    report("pipe.bulk.into", statistics.median(bulk(receiver_into()) for _ in range(n)), "MB/s")
    report("pipe.bulk.recv_bytes", statistics.median(bulk(receive_bytes) for _ in range(n)), "MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
