/*
 * What `serve` (serve.ts) loads once its config file has been read: the bridge, its listeners, logging, recording,
 * reloads. A start refused for its config file or for the sockets systemd passed need not load any of it (about a
 * third of a start's CPU); serve.ts keeps only what reading the config and the sockets takes.
 */
export { createBridge } from './bridge.js';
export { handleHangupsWith, handleStopsWith, handleUserSignalsWith, USER_SIGNAL_IGNORED } from './lifecycle/hangups.js';
export { createReloader } from './lifecycle/reload.js';
export { settingsNeedingRestart } from './lifecycle/restartSettings.js';
export { configWatch } from './lifecycle/watch.js';
export { keepRunningOnStrayErrors } from './lifecycle/strayErrors.js';
export { createLogging, exitOnceFlushed } from './log.js';
export { createRecorder } from './record/recorder.js';
export { secretEnvValues } from './secrets.js';
export { bridgeRequestListener } from './server/bridgeListener.js';
export { observeAll } from './observe.js';
export { systemClock } from './clock.js';
export { keepCountedSlots } from './sessions/countedSlots.js';
export { traceCheck } from './trace/trace.js';
export { reloadedEverywhere } from './cluster/groupReload.js';
export { workerStatus } from './cluster/groupStatus.js';
export { earlyRefusals } from './server/earlyRefusal.js';
