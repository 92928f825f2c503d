import { useEffect, useId, useRef, type ReactNode } from 'react';

/** A message that screen readers announce: the result of an action, or what went wrong. */
export function Notice({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  return <p className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{children}</p>;
}

/** A modal window (the native <dialog>: focus kept inside, Escape closes). */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose(): void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    // Escape cancels (the parent decides); closing because the parent said so reports nothing back.
    <dialog ref={ref} onCancel={(event) => { event.preventDefault(); onClose(); }} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

export function Tabs<T extends string>({ tabs, current, onChange, label }: { tabs: readonly T[]; current: T; onChange(tab: T): void; label: string }) {
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab) => (
        <button key={tab} role="tab" type="button" id={`tab-${tab}`} aria-selected={tab === current} aria-controls={`panel-${tab}`} onClick={() => onChange(tab)}>{tab}</button>
      ))}
    </div>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : 'never');
