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
