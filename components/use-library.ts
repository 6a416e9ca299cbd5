import { useEffect, useState } from 'preact/hooks';
import { Library } from './library';

/** One Library for the page's lifetime; the component re-renders whenever it changes. */
export function useLibrary(): Library {
  const [lib] = useState(() => new Library());
  const [, setTick] = useState(0);
  useEffect(() => {
    const stop = lib.subscribe(() => setTick((n) => n + 1));
    lib.start();
    return () => {
      stop();
      lib.dispose();
    };
  }, [lib]);
  return lib;
}
