import assert from "node:assert/strict";
import {
  hasTextRelocations,
  IdlePageOut,
  parseProgramHeaders,
  readOnlySegments,
} from "../../lib/process/page_out.ts";

const PAGE = 4096n;

// An ELF64 program header table: [type, flags, vaddr, memsz] per entry.
function table(entries: [number, number, bigint, bigint][]): DataView {
  const view = new DataView(new ArrayBuffer(entries.length * 56));
  entries.forEach(([type, flags, vaddr, memsz], i) => {
    view.setUint32(i * 56, type, true);
    view.setUint32(i * 56 + 4, flags, true);
    view.setBigUint64(i * 56 + 16, vaddr, true);
    view.setBigUint64(i * 56 + 40, memsz, true);
  });
  return view;
}

Deno.test("readOnlySegments() takes the PT_LOAD segments without PF_W, moved by the load bias", () => {
  const base = 0x5555_0000_0000n;
  const headers = table([
    [6, 4, 0x40n, 0x2d8n], // PT_PHDR at vaddr 0x40
    [1, 4, 0n, 0x1234n], // r--: rodata and headers
    [1, 5, 0x2000n, 0x10_0000n], // r-x: text
    [1, 6, 0x20_3000n, 0x5000n], // rw-: data, skipped
    [2, 6, 0x20_4000n, 0x200n], // PT_DYNAMIC, skipped
  ]);
  const parsed = parseProgramHeaders(headers, base + 0x40n);
  assert.equal(parsed.bias, base);
  assert.deepEqual(readOnlySegments(parsed.headers, parsed.bias, PAGE), [
    { start: base, end: base + 0x2000n },
    { start: base + 0x2000n, end: base + 0x10_2000n },
  ]);
});

Deno.test("readOnlySegments() widens unaligned segments to whole pages", () => {
  // No PT_PHDR: a fixed-address executable, bias 0.
  const parsed = parseProgramHeaders(table([[1, 5, 0x1010n, 0x1000n]]), 0x40n);
  assert.equal(parsed.bias, 0n);
  assert.deepEqual(readOnlySegments(parsed.headers, 0n, PAGE), [
    { start: 0x1000n, end: 0x3000n },
  ]);
  const empty = parseProgramHeaders(table([[1, 4, 0x1000n, 0n]]), 0n);
  assert.deepEqual(readOnlySegments(empty.headers, 0n, PAGE), []);
});

// A dynamic section: [tag, value] per entry.
function dynamic(entries: [bigint, bigint][]): DataView {
  const view = new DataView(new ArrayBuffer(entries.length * 16));
  entries.forEach(([tag, value], i) => {
    view.setBigInt64(i * 16, tag, true);
    view.setBigUint64(i * 16 + 8, value, true);
  });
  return view;
}

Deno.test("hasTextRelocations() finds DT_TEXTREL and DF_TEXTREL, up to DT_NULL", () => {
  const needed: [bigint, bigint] = [1n, 0x100n];
  const end: [bigint, bigint] = [0n, 0n];
  assert.equal(hasTextRelocations(dynamic([needed, [30n, 0x8n], end])), false);
  assert.equal(hasTextRelocations(dynamic([needed, [22n, 0n], end])), true);
  assert.equal(hasTextRelocations(dynamic([[30n, 0x4n | 0x8n], end])), true);
  // Entries after DT_NULL are padding.
  assert.equal(hasTextRelocations(dynamic([needed, end, [22n, 0n]])), false);
});

// Runs a script in a Deno process of its own.
async function inDeno(script: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-page-out-" });
  try {
    const path = `${dir}/script.ts`;
    await Deno.writeTextFile(path, script);
    const output = await new Deno.Command(Deno.execPath(), {
      // -A: Deno opens /proc/self only with every permission.
      args: ["run", "-A", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    return new TextDecoder().decode(output.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pageOutExecutable() gives the executable's resident pages back, and the program runs on", async () => {
  const module = new URL("../../lib/process/page_out.ts", import.meta.url);
  const stdout = await inDeno(`
    import { pageOutExecutable } from ${JSON.stringify(module.href)};
    const rssFile = () => Number(
      /RssFile:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1],
    );
    const before = rssFile();
    const result = pageOutExecutable();
    const after = rssFile();
    // Code paged out comes back on demand: this runs after it.
    console.log(JSON.stringify({ before, after, result }, (_, v) =>
      typeof v === "bigint" ? v.toString() : v));
  `);
  const { before, after, result } = JSON.parse(stdout);
  assert.equal(result.error, undefined);
  assert.ok(result.regions.length >= 1, stdout);
  // Start-up touches some 20 MB of the executable; most of it goes.
  assert.ok(after < before / 2, `RssFile ${before} kB -> ${after} kB`);
});

Deno.test("IdlePageOut waits for a quiet period after the last poke, and not after close()", async () => {
  const results: unknown[] = [];
  const idle = new IdlePageOut({
    delayMs: 50,
    onResult: (result) => results.push(result),
  });
  idle.poke();
  await new Promise((resolve) => setTimeout(resolve, 30));
  idle.poke();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(results.length, 0, "the second poke restarted the wait");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(results.length, 1);
  idle.poke();
  idle.close();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(results.length, 1);
});
