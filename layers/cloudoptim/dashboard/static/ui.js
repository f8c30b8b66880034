// Small shared pieces: the loading/error states every page shows, and a confirmation dialog.
import { html, useEffect, useRef, useState } from "./vendor/htm-preact.module.js";

// Runs `load` (async) when `keys` change; returns [value, error, reload]. An answer is only ever returned for the
// keys it was loaded with: between a change and its answer the value is undefined (never the previous answer).
export function useLoad(load, keys = []) {
  const [serial, setSerial] = useState(0);
  const current = JSON.stringify([...keys, serial]);
  const [state, setState] = useState({ value: undefined, error: null, of: null });
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ value, error: null, of: current }),
      (error) => live && setState({ value: undefined, error, of: current }),
    );
    return () => { live = false; };
  }, [current]);
  const fresh = state.of === current;
  return [fresh ? state.value : undefined, fresh ? state.error : null, () => setSerial((n) => n + 1)];
}

export function Loading({ what }) {
  return html`<p class="loading" role="status">Loading ${what}…</p>`;
}

export function Failure({ error }) {
  return html`<p class="error" role="alert">${error.message}</p>`;
}

export function Notice({ message }) {
  if (!message) return null;
  return html`<p class=${message.error ? "error" : "notice"} role=${message.error ? "alert" : "status"}>${message.text}</p>`;
}

// A modal <dialog>: `ask` is {title, text, confirm, withReason, onConfirm(reason)} or null.
export function Confirm({ ask, close }) {
  const dialog = useRef(null);
  const [reason, setReason] = useState("");
  useEffect(() => {
    if (ask && dialog.current && !dialog.current.open) {
      setReason("");
      dialog.current.showModal();
    }
  }, [ask]);
  if (!ask) return null;
  const done = (confirmed) => {
    dialog.current.close();
    close();
    if (confirmed) ask.onConfirm(reason);
  };
  return html`<dialog ref=${dialog} aria-labelledby="confirm-title" onCancel=${() => close()}>
    <h2 id="confirm-title">${ask.title}</h2>
    <p>${ask.text}</p>
    ${ask.withReason && html`<label>Reason (optional)
      <textarea value=${reason} onInput=${(e) => setReason(e.target.value)} maxlength="1000"></textarea></label>`}
    <div class="buttons">
      <button type="button" class="primary" onClick=${() => done(true)}>${ask.confirm}</button>
      <button type="button" onClick=${() => done(false)}>Cancel</button>
    </div>
  </dialog>`;
}
