import assert from "node:assert/strict";
import {
  type BpfInstruction,
  dhcpFilter,
  dhcpFilterInstructions,
} from "../../lib/transport/bpf.ts";
import { buildIpv4Udp } from "../../lib/transport/ipv4_udp.ts";

/**
 * Runs the subset of classic BPF the filter uses, with the kernel's rule
 * that a load past the end of the packet drops it.
 */
function run(program: readonly BpfInstruction[], packet: Uint8Array): number {
  let a = 0;
  let x = 0;
  let pc = 0;
  const byte = (at: number): number => {
    if (at >= packet.length) throw new RangeError("past end");
    return packet[at]!;
  };
  try {
    while (pc < program.length) {
      const { code, jt, jf, k } = program[pc]!;
      pc++;
      switch (code) {
        case 0x30: // ld b [k]
          a = byte(k);
          break;
        case 0x28: // ld h [k]
          a = (byte(k) << 8) | byte(k + 1);
          break;
        case 0x48: // ld h [x + k]
          a = (byte(x + k) << 8) | byte(x + k + 1);
          break;
        case 0xb1: // ldx 4 * ([k] & 0xf)
          x = (byte(k) & 0x0f) * 4;
          break;
        case 0x54: // and #k
          a = a & k;
          break;
        case 0x15: // jeq #k
          pc += a === k ? jt : jf;
          break;
        case 0x45: // jset #k
          pc += (a & k) !== 0 ? jt : jf;
          break;
        case 0x06: // ret #k
          return k;
        default:
          throw new Error(`unexpected opcode 0x${code.toString(16)}`);
      }
    }
  } catch (error) {
    if (error instanceof RangeError) return 0;
    throw error;
  }
  throw new Error("program fell off the end");
}

function packet(
  change: { port?: number; first?: number; protocol?: number; flags?: number } =
    {},
): Uint8Array {
  const bytes = buildIpv4Udp({
    source: "192.0.2.1",
    destination: "192.0.2.120",
    sourcePort: 67,
    destinationPort: change.port ?? 68,
    payload: new Uint8Array(300),
  });
  if (change.first !== undefined) bytes[0] = change.first;
  if (change.protocol !== undefined) bytes[9] = change.protocol;
  if (change.flags !== undefined) {
    bytes[6] = change.flags >>> 8;
    bytes[7] = change.flags & 0xff;
  }
  return bytes;
}

function withOptions(
  bytes: Uint8Array,
  options: number[] = [1, 1, 1, 0],
): Uint8Array {
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes.subarray(0, 20));
  out.set(options, 20);
  out.set(bytes.subarray(20), 24);
  out[0] = 0x46;
  return out;
}

Deno.test("dhcpFilter() passes only whole UDP to the port", async (t) => {
  const program = dhcpFilterInstructions(68);
  const cases: [string, Uint8Array, boolean][] = [
    ["UDP to port 68", packet(), true],
    ["UDP to port 68 after IPv4 options", withOptions(packet()), true],
    ["Don't Fragment set", packet({ flags: 0x4000 }), true],
    ["UDP to port 67", packet({ port: 67 }), false],
    [
      "port 68 only in the options' place",
      // NOP, NOP, end of options, then padding that reads as 68 where the
      // port would be without options.
      withOptions(packet({ port: 67 }), [1, 1, 0, 68]),
      false,
    ],
    ["TCP", packet({ protocol: 6 }), false],
    ["not IPv4", packet({ first: 0x60 }), false],
    ["first fragment", packet({ flags: 0x2000 }), false],
    ["later fragment", packet({ flags: 0x0001 }), false],
    ["truncated before the port", packet().subarray(0, 22), false],
  ];
  for (const [name, bytes, accepted] of cases) {
    await t.step(name, () => {
      assert.equal(run(program, bytes) !== 0, accepted);
    });
  }
});

Deno.test("dhcpFilter() takes the port as a parameter", () => {
  const program = dhcpFilterInstructions(6868);
  assert.notEqual(run(program, packet({ port: 6868 })), 0);
  assert.equal(run(program, packet({ port: 68 })), 0);
});

Deno.test("dhcpFilter() rejects an invalid port", () => {
  assert.throws(() => dhcpFilter({ port: 70000 }), RangeError);
});

Deno.test("dhcpFilter() encodes struct sock_fprog over the filter", () => {
  const program = dhcpFilter();
  const view = new DataView(program.fprog.buffer);
  assert.equal(program.fprog.length, 16);
  assert.equal(view.getUint16(0, true), program.instructions.length);
  assert.equal(program.filter.length, program.instructions.length * 8);
  const pointer = Deno.UnsafePointer.of(program.filter);
  assert.equal(
    view.getBigUint64(8, true),
    BigInt(Deno.UnsafePointer.value(pointer)),
  );
  const filterView = new DataView(program.filter.buffer);
  program.instructions.forEach((instruction, index) => {
    assert.equal(filterView.getUint16(index * 8, true), instruction.code);
    assert.equal(filterView.getUint8(index * 8 + 2), instruction.jt);
    assert.equal(filterView.getUint8(index * 8 + 3), instruction.jf);
    assert.equal(filterView.getUint32(index * 8 + 4, true), instruction.k);
  });
});
