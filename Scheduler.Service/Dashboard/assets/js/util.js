// Small helpers shared by the views.

/**
 * Runs `load` at most once at a time: a request while it runs queues exactly one more run. soon() debounces bursts
 * of live events; dispose() stops everything once the view is gone.
 */
export function refresher(load, debounceMs = 250) {
  let running = false;
  let again = false;
  let timer = null;
  let disposed = false;
  async function now() {
    if (disposed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await load();
    } catch (error) {
      console.error(error);
    } finally {
      running = false;
      if (again && !disposed) {
        again = false;
        now();
      }
    }
  }
  return {
    now,
    soon() {
      clearTimeout(timer);
      timer = setTimeout(now, debounceMs);
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

/** Runs every cleanup function given, for a view's teardown. */
export function disposeAll(...cleanups) {
  return () => {
    for (const cleanup of cleanups.flat()) {
      try {
        cleanup();
      } catch (error) {
        console.error(error);
      }
    }
  };
}
