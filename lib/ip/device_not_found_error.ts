/**
 * The error for an interface that does not exist, shared by every module
 * that runs `ip` against a device.
 *
 * @module
 */

import { CommandFailedError, type CommandResult } from "../process/command.ts";

/** `ip` was asked about an interface that does not exist here. */
export class DeviceNotFoundError extends CommandFailedError {
  /** The missing interface. */
  readonly device: string;

  /**
   * Creates a DeviceNotFoundError.
   *
   * @param device The missing interface.
   * @param argv The `ip` command that found it missing.
   * @param result What that command produced.
   */
  constructor(device: string, argv: readonly string[], result: CommandResult) {
    super(argv, result);
    this.name = "DeviceNotFoundError";
    this.device = device;
    this.message = `Interface "${device}" does not exist in this network ` +
      `namespace; check the name with "ip link" (${this.message})`;
  }
}
