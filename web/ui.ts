/** Small DOM helpers shared by the views: messages, view switching, busy forms. */

/** The element with this id (throws if the page lacks it: a bug, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
}

/** Shows an error (announced by screen readers via role="alert"); clears the notice. */
export function showError(message: string): void {
  byId('notice').hidden = true;
  const box = byId('error');
  box.textContent = message;
  box.hidden = false;
}

/** Shows a notice (role="status"); clears the error. */
export function showNotice(message: string): void {
  byId('error').hidden = true;
  const box = byId('notice');
  box.textContent = message;
  box.hidden = false;
}

export function clearMessages(): void {
  byId('error').hidden = true;
  byId('notice').hidden = true;
}

/** Shows the element whose `data-view` is `name` and hides the other views. */
export function showView(name: string): void {
  for (const view of document.querySelectorAll<HTMLElement>('[data-view]')) {
    view.hidden = view.dataset.view !== name;
  }
}

/**
 * Runs `action` on submit with the form's fields, the button disabled meanwhile; an error
 * becomes a message. Native validation is off (`novalidate`) so the API's own answers show.
 */
export function onSubmit(form: HTMLFormElement, action: (fields: Record<string, string>) => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    const fields: Record<string, string> = {};
    for (const [key, value] of new FormData(form)) fields[key] = String(value);
    if (button) button.disabled = true;
    clearMessages();
    action(fields)
      .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

/** Runs `action` with `button` disabled meanwhile; an error becomes a message. */
export function runBusy(button: HTMLButtonElement, action: () => Promise<void>): void {
  button.disabled = true;
  clearMessages();
  action()
    .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
    .finally(() => {
      button.disabled = false;
    });
}

/** What one entry of a list with an action shows (a signed-in device, a passkey). */
export interface ListEntry {
  /** Unique id of the entry's name, which describes its button (aria-describedby). */
  id: string;
  name: string;
  /** A short tag after the name, e.g. "this device". */
  badge?: string;
  details: string;
  /** The button's label, and what it does (run with the button busy). */
  action: string;
  onAction: () => Promise<void>;
}

/** A list item: the name (with its badge), a line of details, and a button described by the name. Text only, never markup. */
export function listEntry(entry: ListEntry): HTMLLIElement {
  const item = document.createElement('li');
  const text = document.createElement('div');
  const name = document.createElement('div');
  name.className = 'device';
  name.id = entry.id;
  name.textContent = entry.name;
  if (entry.badge) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = entry.badge;
    name.append(badge);
  }
  const details = document.createElement('div');
  details.className = 'details';
  details.textContent = entry.details;
  text.append(name, details);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = entry.action;
  button.setAttribute('aria-describedby', name.id);
  button.addEventListener('click', () => runBusy(button, entry.onAction));
  item.append(text, button);
  return item;
}
