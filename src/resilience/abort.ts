export interface ChildAbort {
  readonly signal: AbortSignal;
  abort(): void;
  /** Detaches from the parent; call when done, so the parent does not keep this alive. */
  release(): void;
}

/**
 * Why a child is aborted on its own. One reason for all: a fresh DOMException
 * per abort captures a stack trace, which costs more than the request it cancels.
 */
const NO_LONGER_NEEDED = new DOMException('no longer needed', 'AbortError');

/**
 * A signal that aborts with `parent` or on its own. Node 20's
 * `AbortSignal.any` keeps its composite signals until finalizers run, which
 * under load grows the heap by kilobytes per request; this holds nothing
 * once released.
 */
export function childAbort(parent: AbortSignal): ChildAbort {
  const controller = new AbortController();
  const follow = () => controller.abort(parent.reason);
  if (parent.aborted) follow();
  else parent.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(NO_LONGER_NEEDED),
    release: () => parent.removeEventListener('abort', follow),
  };
}
