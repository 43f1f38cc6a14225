/**
 * Says that an entry was added, where the user is looking: on a phone the list of chosen entries is
 * below the fold. A polite live region, so screen readers hear it too, with a way to the new card.
 */
import { useEffect } from 'react';

export interface Announcement {
  /** Changes with every addition, so the same text is announced again. */
  key: number;
  text: string;
  /** The element id of the added instance's card. */
  target: string;
}

const SHOWN_MS = 6000;

export function AddedToast(props: { announcement: Announcement | undefined; onDismiss: () => void }) {
  const { announcement, onDismiss } = props;
  useEffect(() => {
    if (!announcement) return;
    const timer = window.setTimeout(onDismiss, SHOWN_MS);
    return () => window.clearTimeout(timer);
  }, [announcement, onDismiss]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {announcement && (
        <div className="toast" key={announcement.key}>
          <span>{announcement.text}</span>
          <button
            type="button"
            className="button button-small"
            onClick={() => {
              const card = document.getElementById(announcement.target);
              card?.scrollIntoView({ block: 'center' });
              card?.querySelector<HTMLElement>('input')?.focus();
              onDismiss();
            }}
          >
            Show
          </button>
        </div>
      )}
    </div>
  );
}
