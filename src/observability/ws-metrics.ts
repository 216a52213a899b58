import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Why a client WebSocket connection ended (label values of lasso_ws_client_disconnects_total). */
export type WsDisconnectReason =
  | 'client_close'
  | 'ping_timeout'
  | 'slow_client'
  | 'subscription_ended'
  | 'message_too_big'
  | 'protocol_error'
  | 'shutdown';

/** Per-connection limits (label values of lasso_ws_client_limit_rejections_total). */
export type WsLimitName = 'connections' | 'in_flight' | 'subscriptions' | 'message_size' | 'send_buffer';

/**
 * Metrics of the client-facing WebSocket front, registered on the instance's `LassoMetrics.registry`.
 * Every name starts with `lasso_ws_client_` so that it can never collide with the upstream WS and
 * subscription-engine metrics that live in the same registry.
 */
export class WsMetrics {
  /** Open client connections per chain. */
  readonly connections: Gauge<'chain'>;
  readonly connectionsTotal: Counter<'chain'>;
  /** Upgrades refused before a connection existed (bad route, connection limit, shutting down). */
  readonly upgradeRejections: Counter<'reason'>;
  readonly disconnects: Counter<'chain' | 'reason'>;
  /** WebSocket messages; `direction` is in | out. */
  readonly messages: Counter<'chain' | 'direction'>;
  /** Live client subscriptions per chain and kind. */
  readonly subscriptions: Gauge<'chain' | 'kind'>;
  readonly limitRejections: Counter<'chain' | 'limit'>;
  readonly slowClientDisconnects: Counter<'chain'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({ name: 'lasso_ws_client_connections', help: 'Open client WebSocket connections', labelNames: ['chain'], registers });
    this.connectionsTotal = new Counter({ name: 'lasso_ws_client_connections_total', help: 'Client WebSocket connections accepted', labelNames: ['chain'], registers });
    this.upgradeRejections = new Counter({
      name: 'lasso_ws_client_upgrade_rejections_total',
      help: 'WebSocket upgrades refused (bad_route | unknown_chain | unknown_strategy | unknown_provider | connections | shutting_down)',
      labelNames: ['reason'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'lasso_ws_client_disconnects_total',
      help: 'Client WebSocket connections that ended, by reason (client_close | ping_timeout | slow_client | subscription_ended | message_too_big | protocol_error | shutdown)',
      labelNames: ['chain', 'reason'],
      registers,
    });
    this.messages = new Counter({ name: 'lasso_ws_client_messages_total', help: 'Client WebSocket messages by direction (in | out)', labelNames: ['chain', 'direction'], registers });
    this.subscriptions = new Gauge({ name: 'lasso_ws_client_subscriptions', help: 'Live client subscriptions on the WebSocket front, by kind', labelNames: ['chain', 'kind'], registers });
    this.limitRejections = new Counter({
      name: 'lasso_ws_client_limit_rejections_total',
      help: 'Client input refused by a WebSocket limit (connections | in_flight | subscriptions | message_size | send_buffer)',
      labelNames: ['chain', 'limit'],
      registers,
    });
    this.slowClientDisconnects = new Counter({
      name: 'lasso_ws_client_slow_disconnects_total',
      help: 'Clients closed because they did not read fast enough (send buffer over maxBufferedBytes)',
      labelNames: ['chain'],
      registers,
    });
  }
}
