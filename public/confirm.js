/** A modal question with two answers, on the page's one <dialog>; resolves true on confirm. */
export function confirmAction (dialog, { title, message, confirm }) {
  dialog.querySelector('.title').textContent = title
  dialog.querySelector('.message').textContent = message
  dialog.querySelector('button[value=confirm]').textContent = confirm
  dialog.returnValue = ''
  dialog.showModal()
  dialog.querySelector('button[value=cancel]').focus()
  return new Promise(resolve => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }))
}
