"""A real WebSocket client (Debian's python3-websockets) for the Scale0 end-to-end tests.

Usage: client.py URL
Sends a text message and a fragmented one, prints each answer on its own line, then closes
and prints the close code the server's close frame carried.
"""

import asyncio
import sys

import websockets


async def main(url):
    async with websockets.connect(url, ping_interval=None) as ws:
        await ws.send("Hello")
        print(await ws.recv(), flush=True)
        await ws.send(["frag-one ", "frag-two"])
        print(await ws.recv(), flush=True)
        await ws.close()
        print("closed", ws.close_code, flush=True)


asyncio.run(main(sys.argv[1]))
