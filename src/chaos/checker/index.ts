// Ground-truth checkers: what subscription clients received versus the devnet's canonical chain.
export { checkNewHeads, headsFromNotifications } from './heads.js';
export type { BlockWindow, DeliveredHead, DeliveryCounts, HeadsReorgError, NewHeadsReport } from './heads.js';
export { checkLogs, logMatchesFilter, logsFromNotifications } from './logs.js';
export type { DeliveredLog, LogFilter, LogsReorgError, LogsReport } from './logs.js';
