/**
 * ocidhcp: a DHCPv4 client for containers with several network interfaces.
 *
 * It acquires, applies, renews, rebinds and releases leases (RFC 2131,
 * 2132, 3442) on raw sockets, installs addresses with kernel lifetimes, and
 * keeps exactly one IPv4 default route in the main table: the one of the
 * interface whose name sorts first in byte order among those whose lease
 * offers one, decided under a lock shared by every ocidhcp process of the
 * network namespace, and handed over when its owner loses its lease.
 *
 * @example Run DHCP on two interfaces until configured
 * ```ts ignore
 * import { Supervisor } from "./mod.ts";
 *
 * const supervisor = await Supervisor.start({ interfaces: ["eth0", "eth1"] });
 * const leases = await supervisor.waitAllBound();
 * for (const [name, lease] of leases) {
 *   console.log(name, lease.address, lease.routers);
 * }
 * await supervisor.stop();
 * ```
 *
 * @module
 */

export {
  type DefaultRouteEvent,
  Supervisor,
  type SupervisorOptions,
} from "./lib/client/supervisor.ts";
export {
  InterfaceClient,
  type InterfaceClientOptions,
  type LeaseEvent,
  type LeaseFailEvent,
  type SocketFactory,
} from "./lib/client/interface_client.ts";
export {
  type DefaultRouteCoordinator,
  IpConfigurator,
  type IpConfiguratorOptions,
  type LeaseConfigurator,
} from "./lib/client/configurator.ts";
export {
  type ClientAction,
  type ClientConfig,
  type ClientEvent,
  type ClientState,
  ClientStateMachine,
  type Clock,
} from "./lib/client/state_machine.ts";
export { type Lease, LeaseError, leaseFromAck } from "./lib/client/lease.ts";
export {
  createMessage,
  decodeMessage,
  type DhcpMessage,
  encodeMessage,
} from "./lib/dhcp/message.ts";
export { DecodeError, OptionError } from "./lib/dhcp/errors.ts";
export { DhcpOptions } from "./lib/dhcp/options.ts";
export { MessageType, OptionCode } from "./lib/dhcp/constants.ts";
export {
  classlessStaticRoutes,
  dhcpMessageType,
  domainName,
  domainNameServers,
  domainSearch,
  interfaceMtu,
  ipAddressLeaseTime,
  rebindingTimeValue,
  renewalTimeValue,
  routers,
  serverIdentifier,
  subnetMask,
} from "./lib/dhcp/option_values.ts";
export {
  type ClasslessRoute,
  decodeClasslessRoutes,
  encodeClasslessRoutes,
} from "./lib/dhcp/classless_routes.ts";
export {
  decodeDomainSearch,
  encodeDomainSearch,
} from "./lib/dhcp/domain_search.ts";
export {
  type ArbiterOptions,
  DefaultRouteArbiter,
} from "./lib/route/arbiter.ts";
export {
  compareInterfaceNames,
  decideDefaultRoute,
  electOwner,
} from "./lib/route/default_route_policy.ts";
export { InterfaceBusyError } from "./lib/route/interface_claim.ts";
export { IpRoute } from "./lib/route/ip_route.ts";
export { routesForLease } from "./lib/route/lease_routes.ts";
export {
  isDefaultRoute,
  parseRoutes,
  type Route,
  routeArgv,
} from "./lib/route/route.ts";
export { PacketSocket } from "./lib/transport/packet_socket.ts";
export { UdpSocket } from "./lib/transport/udp_socket.ts";
export {
  CommandFailedError,
  CommandNotFoundError,
  type CommandRunner,
  DenoCommandRunner,
} from "./lib/process/command.ts";
export { exceedsGlibcLimit, renderResolvConf } from "./lib/dns/resolv_conf.ts";
export {
  ResolvConfError,
  ResolvConfWriter,
} from "./lib/dns/resolv_conf_writer.ts";
export { ResolvConfManager } from "./lib/dns/resolv_conf_manager.ts";
export { domainNameProblem, isValidDomainName } from "./lib/dns/domain_name.ts";
export { type HookEvent, hookEventsFor } from "./lib/hooks/hook_event.ts";
export { hookEnvironment } from "./lib/hooks/hook_environment.ts";
export { type HookResult, HookRunner } from "./lib/hooks/hook_runner.ts";
export { runLeaseHooks } from "./lib/hooks/lease_hooks.ts";
export { LeaseStore, type StoredLease } from "./lib/state/lease_store.ts";
export { readStatuses } from "./lib/state/status_store.ts";
export { DeviceNotFoundError } from "./lib/ip/device_not_found_error.ts";
export type { ClientIdentity } from "./lib/client/messages.ts";
export type { Destination } from "./lib/client/state_machine.ts";
export type { LeaseContext, LeaseResult } from "./lib/client/lease.ts";
export type {
  DefaultRouteDecision,
  DefaultRouteInput,
  DefaultRouteOwner,
  ForeignPolicy,
} from "./lib/route/default_route_policy.ts";
export type { RouteChange } from "./lib/route/ip_route.ts";
export type { LeaseRouteInput, LeaseRoutes } from "./lib/route/lease_routes.ts";
export type { RouteMode } from "./lib/route/route.ts";
export type { SpawnChild } from "./lib/process/line_child.ts";
export type { CommandResult, RunOptions } from "./lib/process/command.ts";
export type {
  Datagram,
  DhcpSocket,
  SendOptions,
} from "./lib/transport/datagram.ts";
export type {
  RejectedValue as RejectedDnsValue,
  RenderedResolvConf,
  ResolvConfInput,
  ResolvConfLease,
} from "./lib/dns/resolv_conf.ts";
export type { WriteOutcome } from "./lib/dns/resolv_conf_writer.ts";
export { HOOK_EVENTS } from "./lib/hooks/hook_event.ts";
export type {
  HookEnvironment,
  HookEnvironmentInput,
  RejectedValue as RejectedHookValue,
} from "./lib/hooks/hook_environment.ts";
export type {
  HookRunnerLike,
  LeaseHookOptions,
} from "./lib/hooks/lease_hooks.ts";
export {
  type ClockReading,
  LEASE_RECORD_VERSION,
} from "./lib/state/lease_store.ts";
export type {
  ClientSnapshot,
  InterfaceStatus,
} from "./lib/state/status_store.ts";
