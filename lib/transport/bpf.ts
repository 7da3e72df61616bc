/**
 * The classic BPF filter a DHCP client attaches to its packet socket, so the
 * kernel wakes it only for datagrams it could want.
 *
 * On a SOCK_DGRAM packet socket the filter sees the packet from the IPv4
 * header on (the Ethernet header is already stripped), so offsets here are
 * IPv4 offsets, unlike the ones `tcpdump -d` prints for Ethernet.
 *
 * @module
 */

// Opcodes from linux/filter.h (class | size | mode, or class | op | source).
const LD_B_ABS = 0x30;
const LD_H_ABS = 0x28;
const LD_H_IND = 0x48;
const LDX_B_MSH = 0xb1;
const ALU_AND_K = 0x54;
const JMP_JEQ_K = 0x15;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;

/** The size of struct sock_filter: u16 code, u8 jt, u8 jf, u32 k. */
const INSTRUCTION_SIZE = 8;
/** The size of struct sock_fprog on 64-bit: u16 len, padding, pointer. */
const FPROG_SIZE = 16;

/** One classic BPF instruction. */
export interface BpfInstruction {
  /** The opcode. */
  code: number;
  /** Instructions to skip when a jump condition holds. */
  jt: number;
  /** Instructions to skip when it does not. */
  jf: number;
  /** The constant operand. */
  k: number;
}

/** A filter ready for `setsockopt(SO_ATTACH_FILTER)`. */
export interface BpfProgram {
  /** The instructions, for inspection and tests. */
  instructions: readonly BpfInstruction[];
  /**
   * The encoded struct sock_filter array that {@linkcode fprog} points into.
   * Whoever holds `fprog` must hold this too: the pointer inside `fprog` is
   * not a reference the garbage collector knows about.
   */
  filter: Uint8Array<ArrayBuffer>;
  /** The struct sock_fprog to pass to setsockopt. */
  fprog: Uint8Array<ArrayBuffer>;
}

/**
 * Lists the instructions that accept IPv4 UDP datagrams that are not
 * fragments and go to the given destination port.
 *
 * @param port The UDP destination port to accept.
 * @returns The instructions.
 * @throws {RangeError} If the port is not an integer from 0 to 65535.
 */
export function dhcpFilterInstructions(port: number): BpfInstruction[] {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(
      `Invalid port: expected an integer from 0 to 65535, got ${port}`,
    );
  }
  const op = (code: number, k: number, jt = 0, jf = 0): BpfInstruction => ({
    code,
    jt,
    jf,
    k,
  });
  return [
    op(LD_B_ABS, 0), // 0: version and IHL
    op(ALU_AND_K, 0xf0), // 1
    op(JMP_JEQ_K, 0x40, 0, 8), // 2: IPv4, else drop
    op(LD_B_ABS, 9), // 3: protocol
    op(JMP_JEQ_K, 17, 0, 6), // 4: UDP, else drop
    op(LD_H_ABS, 6), // 5: flags and fragment offset
    // 6: drop when More Fragments is set or the offset is not zero; a
    // non-first fragment has no UDP header to read the port from.
    op(JMP_JSET_K, 0x3fff, 4, 0),
    op(LDX_B_MSH, 0), // 7: X = IHL * 4
    op(LD_H_IND, 2), // 8: UDP destination port
    op(JMP_JEQ_K, port, 0, 1), // 9
    // 10: accept the whole packet; the kernel truncates to this many bytes.
    op(RET_K, 0xffffffff),
    op(RET_K, 0), // 11: drop
  ];
}

/**
 * Encodes the filter for a packet socket receiving DHCP on a port.
 *
 * The kernel copies the program during `setsockopt(SO_ATTACH_FILTER)`, so the
 * buffers need only outlive that call; callers keep the returned object for
 * the socket's lifetime anyway, which makes that hold without depending on
 * when the call happens.
 *
 * @param options The UDP destination port.
 * @returns The instructions, the encoded filter and the struct sock_fprog.
 * @throws {RangeError} If the port is not an integer from 0 to 65535.
 *
 * @example Build the filter for the DHCP client port
 * ```ts
 * import { dhcpFilter } from "./bpf.ts";
 * const program = dhcpFilter({ port: 68 });
 * program.fprog.length; // 16
 * ```
 */
export function dhcpFilter(options: { port?: number } = {}): BpfProgram {
  const instructions = dhcpFilterInstructions(options.port ?? 68);
  const filter = new Uint8Array(instructions.length * INSTRUCTION_SIZE);
  const view = new DataView(filter.buffer);
  instructions.forEach((instruction, index) => {
    const at = index * INSTRUCTION_SIZE;
    // struct sock_filter is in host byte order (little-endian on the
    // platforms Deno ships for).
    view.setUint16(at, instruction.code, true);
    view.setUint8(at + 2, instruction.jt);
    view.setUint8(at + 3, instruction.jf);
    view.setUint32(at + 4, instruction.k, true);
  });
  const fprog = new Uint8Array(FPROG_SIZE);
  const fprogView = new DataView(fprog.buffer);
  fprogView.setUint16(0, instructions.length, true);
  const pointer = Deno.UnsafePointer.of(filter);
  fprogView.setBigUint64(8, BigInt(Deno.UnsafePointer.value(pointer)), true);
  return { instructions, filter, fprog };
}
