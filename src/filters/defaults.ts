/** Defaults of the filter options, in a file of their own so that the config schema can reuse them without loading the filter service. */

/** A filter not polled for this long is removed, in ms (as geth: 5 minutes). */
export const DEFAULT_FILTER_IDLE_TIMEOUT_MS = 300_000;
/** Most filters installed at once per API key (per client address without keys). */
export const DEFAULT_FILTER_MAX_PER_CLIENT = 256;
