/** The credential lives in this tab's sessionStorage only: gone when the tab closes. */
const KEY = 'trainload.session'

export const session = {
  load: () => JSON.parse(sessionStorage.getItem(KEY) ?? 'null'),
  save: value => sessionStorage.setItem(KEY, JSON.stringify(value)),
  clear: () => sessionStorage.removeItem(KEY)
}
