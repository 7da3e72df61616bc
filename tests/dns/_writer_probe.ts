/**
 * Runs one ResolvConfWriter scenario that needs mounts, in a private mount
 * namespace (`unshare --mount --propagation private`), and prints what it
 * saw as one JSON line. The mounts disappear with the namespace.
 *
 * Usage: _writer_probe.ts <scenario> <scratch directory>
 *
 * @module
 */

import {
  ResolvConfError,
  ResolvConfWriter,
} from "../../lib/dns/resolv_conf_writer.ts";

const [scenario, dir] = Deno.args;
if (scenario === undefined || dir === undefined) {
  throw new TypeError("Usage: _writer_probe.ts <scenario> <directory>");
}

async function mount(...args: string[]): Promise<void> {
  const output = await new Deno.Command("mount", { args, stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(
      `mount ${args.join(" ")} failed: ` +
        new TextDecoder().decode(output.stderr),
    );
  }
}

async function inode(path: string): Promise<number | null> {
  return (await Deno.stat(path)).ino;
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
    return null;
  } catch (error) {
    return {
      isResolvConfError: error instanceof ResolvConfError,
      code: error instanceof ResolvConfError ? error.code : undefined,
      path: error instanceof ResolvConfError ? error.path : undefined,
      message: error instanceof Error ? error.message : String(error),
      hasCause: error instanceof Error && error.cause !== undefined,
    };
  }
}

const target = `${dir}/resolv.conf`;
const report: Record<string, unknown> = { scenario };

switch (scenario) {
  case "bind-same-fs":
  case "bind-other-fs": {
    // The runtime's copy lives elsewhere and is bind-mounted over the file.
    let sourceDir = `${dir}/runtime`;
    await Deno.mkdir(sourceDir);
    if (scenario === "bind-other-fs") {
      await mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", sourceDir);
    }
    sourceDir = await Deno.realPath(sourceDir);
    const source = `${sourceDir}/resolv.conf`;
    await Deno.writeTextFile(source, "nameserver 192.0.2.1\n");
    await Deno.writeTextFile(target, "placeholder\n");
    await mount("--bind", source, target);
    report.sameDevice =
      (await Deno.stat(target)).dev === (await Deno.stat(dir)).dev;
    report.inodeBefore = await inode(target);
    const writer = new ResolvConfWriter(target);
    report.first = await writer.write("nameserver 198.51.100.1\n");
    report.inodeAfterWrite = await inode(target);
    report.contentAfterWrite = await Deno.readTextFile(target);
    report.sourceAfterWrite = await Deno.readTextFile(source);
    report.shrink = await writer.write("# x\n");
    report.contentAfterShrink = await Deno.readTextFile(target);
    await writer.restore();
    report.inodeAfterRestore = await inode(target);
    report.contentAfterRestore = await Deno.readTextFile(target);
    report.entries = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    break;
  }
  case "readonly": {
    const source = `${dir}/source`;
    await Deno.writeTextFile(source, "nameserver 192.0.2.1\n");
    await Deno.writeTextFile(target, "");
    await mount("--bind", source, target);
    await mount("-o", "remount,ro,bind", target);
    const writer = new ResolvConfWriter(target);
    report.error = await caught(() =>
      writer.write("nameserver 198.51.100.1\n")
    );
    report.contentAfter = await Deno.readTextFile(target);
    break;
  }
  case "full": {
    // One 4 KiB page: the current file holds it, so no temporary file can
    // get any data block.
    const small = `${dir}/small`;
    await Deno.mkdir(small);
    await mount("-t", "tmpfs", "-o", "size=4k", "tmpfs", small);
    const file = `${small}/resolv.conf`;
    await Deno.writeTextFile(file, "nameserver 192.0.2.1\n");
    report.fill = await caught(async () => {
      const filler = await Deno.open(`${small}/filler`, {
        write: true,
        create: true,
      });
      try {
        for (;;) await filler.write(new Uint8Array(1024));
      } finally {
        filler.close();
      }
    });
    const writer = new ResolvConfWriter(file);
    report.error = await caught(() =>
      writer.write("nameserver 198.51.100.1\n".repeat(4))
    );
    report.contentAfter = await Deno.readTextFile(file);
    report.entries = [...Deno.readDirSync(small)].map((e) => e.name).sort();
    break;
  }
  case "full-in-place": {
    // The bind-mounted file's filesystem has one 4 KiB page: after the
    // truncation a longer text cannot fit, so the write fails midway.
    const small = `${dir}/small`;
    await Deno.mkdir(small);
    await mount("-t", "tmpfs", "-o", "size=4k", "tmpfs", small);
    await Deno.writeTextFile(`${small}/source`, "nameserver 192.0.2.1\n");
    await Deno.writeTextFile(target, "");
    await mount("--bind", `${small}/source`, target);
    report.inodeBefore = await inode(target);
    const writer = new ResolvConfWriter(target);
    report.error = await caught(() =>
      writer.write(`# ${"x".repeat(8000)}\nnameserver 198.51.100.1\n`)
    );
    report.inodeAfter = await inode(target);
    report.contentAfter = await Deno.readTextFile(target);
    break;
  }
  default:
    throw new TypeError(`Unknown scenario: ${scenario}`);
}

console.log(JSON.stringify(report));
