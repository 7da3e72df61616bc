/**
 * Runs inside a lab's client namespace and exercises PacketSocket; prints one
 * JSON object on stdout. Usage: `_packet_probe.ts <mode> <args...>`.
 *
 * @module
 */

import { PacketSocket } from "../../lib/transport/packet_socket.ts";
import { SystemCallError } from "../../lib/ffi/libc.ts";
import type { Datagram } from "../../lib/transport/datagram.ts";
import { discover, summarize } from "./_dhcp_bytes.ts";

function fds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

function threads(): number {
  return [...Deno.readDirSync("/proc/self/task")].length;
}

/** User plus system CPU time of this process, in clock ticks. */
function cpuTicks(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the whole line.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function describe(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? {
      name: error.name,
      message: error.message,
      code: error instanceof SystemCallError ? error.code : undefined,
      interfaceName: (error as { interfaceName?: string }).interfaceName,
    }
    : { name: "unknown", message: String(error) };
}

/** Sends DISCOVERs every 500 ms until an OFFER with the xid arrives. */
async function exchange(
  sender: PacketSocket,
  receivers: PacketSocket[],
  mac: string,
): Promise<Datagram[]> {
  const xid = Math.floor(Math.random() * 0xffffffff);
  const wanted = (socket: PacketSocket): Promise<Datagram> =>
    (async () => {
      while (true) {
        const datagram = await socket.receive();
        const reply = summarize(datagram.payload);
        if (reply.op === 2 && reply.xid === xid) return datagram;
      }
    })();
  const replies = Promise.all(receivers.map(wanted));
  let done = false;
  replies.finally(() => done = true);
  for (let attempt = 0; attempt < 20 && !done; attempt++) {
    await sender.send(discover(xid, mac));
    await Promise.race([
      replies,
      new Promise((resolve) => setTimeout(resolve, 500)),
    ]);
  }
  if (!done) throw new Error("no OFFER after 20 DISCOVERs");
  return await replies;
}

const [mode, name = "c0", extra = ""] = Deno.args;
const result: Record<string, unknown> = { mode };

switch (mode) {
  case "discover": {
    const before = fds();
    const socket = PacketSocket.open(name);
    const [offer] = await exchange(socket, [socket], extra);
    await socket.close();
    result.offer = { ...offer, payload: summarize(offer!.payload) };
    result.dropped = socket.droppedCount;
    result.fdsLeaked = fds() - before;
    break;
  }
  case "close-pending": {
    const socket = PacketSocket.open(name);
    const pending = socket.receive();
    // While the receive waits, the event loop must run timers on time and
    // the process must not burn CPU.
    const cpuBefore = cpuTicks();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    result.timerLateMs = performance.now() - started - 1000;
    result.idleCpuTicks = cpuTicks() - cpuBefore;
    const closing = socket.close();
    const again = socket.close();
    result.sameClosePromise = closing === again;
    try {
      await pending;
      result.pending = "resolved";
    } catch (error) {
      result.pending = describe(error);
    }
    await closing;
    try {
      await socket.receive();
      result.after = "resolved";
    } catch (error) {
      result.after = describe(error);
    }
    try {
      await socket.send(new Uint8Array(10));
      result.sendAfter = "resolved";
    } catch (error) {
      result.sendAfter = describe(error);
    }
    break;
  }
  case "many": {
    const count = Number(extra);
    const fdsBefore = fds();
    const threadsBefore = threads();
    const sockets: PacketSocket[] = [];
    for (let i = 0; i < count; i++) sockets.push(PacketSocket.open(name));
    const mac = Deno.args[3] ?? "";
    const replies = await exchange(sockets[0]!, sockets, mac);
    result.fdsOpen = fds() - fdsBefore;
    result.threadsAdded = threads() - threadsBefore;
    result.replies = replies.length;
    result.yiaddrs = [
      ...new Set(replies.map((r) => summarize(r.payload).yiaddr)),
    ];
    await Promise.all(sockets.map((socket) => socket.close()));
    result.fdsLeaked = fds() - fdsBefore;
    break;
  }
  case "malformed":
  case "filtered": {
    // Waits for two "good" datagrams, each sent after malformed packets
    // (which the socket must drop and count) or after packets the kernel
    // filter must keep from the socket (which it must never see).
    const socket = PacketSocket.open(name);
    console.error("ready");
    let good = 0;
    while (good < 2) {
      const datagram = await socket.receive();
      if (new TextDecoder().decode(datagram.payload) === "good") good++;
      else result.unexpected = new TextDecoder().decode(datagram.payload);
    }
    result.received = socket.receivedCount;
    result.dropped = socket.droppedCount;
    await socket.close();
    break;
  }
  case "open":
  case "unknown": {
    try {
      await PacketSocket.open(name).close();
      result.error = "none";
    } catch (error) {
      result.error = describe(error);
    }
    break;
  }
  case "send": {
    const socket = PacketSocket.open(name);
    try {
      await socket.send(discover(1, "02:00:00:00:00:01"));
      result.error = "none";
    } catch (error) {
      result.error = describe(error);
    }
    await socket.close();
    break;
  }
  default:
    throw new TypeError(`Unknown probe mode: ${mode}`);
}

console.log(JSON.stringify(result));
