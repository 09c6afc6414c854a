"""The independent client of the gRPC health tests: grpcio and grpcio-health-checking's stubs.

  check ADDR NAME...        one line per name: the name in quotes, then SERVING, NOT_SERVING or
                            the call's error code (e.g. NOT_FOUND)
  watch ADDR NAME           one line per message: the status; at the end, END and the code
  call ADDR PATH            a unary call of any path with an empty message: the code's name
  flood ADDR NAME N CONNS   N Watch streams over CONNS connections; prints "first K STATUS" once
                            every stream has its first message, then "next K STATUS" once every
                            stream has a second one (K: streams agreeing), within 20 s
"""
import asyncio
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

NAMES = health_pb2.HealthCheckResponse.ServingStatus.Name


def say(line):
    print(line, flush=True)


def check(addr, names):
    with grpc.insecure_channel(addr) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name in names:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
                say(f"{name!r} {NAMES(reply.status)}")
            except grpc.RpcError as e:
                say(f"{name!r} {e.code().name}")


def watch(addr, name):
    with grpc.insecure_channel(addr) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            for reply in stub.Watch(health_pb2.HealthCheckRequest(service=name), timeout=60):
                say(NAMES(reply.status))
            say("END OK")
        except grpc.RpcError as e:
            say(f"END {e.code().name}")


def call(addr, path):
    with grpc.insecure_channel(addr) as channel:
        method = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        try:
            method(b"", timeout=5)
            say("OK")
        except grpc.RpcError as e:
            say(e.code().name)


async def flood(addr, name, n, conns):
    # One connection per channel: a local subchannel pool keeps channels from sharing one.
    channels = [
        grpc.aio.insecure_channel(addr, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(conns)
    ]
    seen = [[] for _ in range(n)]
    progress = asyncio.Event()

    async def one(i):
        stub = health_pb2_grpc.HealthStub(channels[i % conns])
        async for reply in stub.Watch(health_pb2.HealthCheckRequest(service=name)):
            seen[i].append(NAMES(reply.status))
            progress.set()

    tasks = [asyncio.create_task(one(i)) for i in range(n)]

    async def until(count):
        while not all(len(s) >= count for s in seen):
            progress.clear()
            await progress.wait()
        last = [s[count - 1] for s in seen]
        return max(set(last), key=last.count), last

    try:
        status, last = await asyncio.wait_for(until(1), 20)
        say(f"first {last.count(status)} {status}")
        status, last = await asyncio.wait_for(until(2), 20)
        say(f"next {last.count(status)} {status}")
    except asyncio.TimeoutError:
        say(f"timeout {sum(len(s) for s in seen)}")
    for t in tasks:
        t.cancel()
    for c in channels:
        await c.close()


def main():
    cmd, addr, *rest = sys.argv[1:]
    if cmd == "check":
        check(addr, rest)
    elif cmd == "watch":
        watch(addr, rest[0])
    elif cmd == "call":
        call(addr, rest[0])
    elif cmd == "flood":
        asyncio.run(flood(addr, rest[0], int(rest[1]), int(rest[2])))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
