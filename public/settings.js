/**
 * The settings form: only the fields the chosen model uses, each with its bounds, checked as
 * the person types; a message goes away as soon as its field is fixed.
 */

const MODEL_FIELDS = ['acwrModel', 'acuteDays', 'chronicDays', 'decayRate', 'ctlDays', 'atlDays']
const PROFILE_FIELDS = ['restingHr', 'maxHr', 'sex', 'timezone']

const label = input => input.closest('label')?.querySelector('.label-text')?.textContent.trim() ?? input.name

/** The fields shown for `model`: each field lists its models in `data-models`. */
export function showModelFields (form, model) {
  for (const field of form.querySelectorAll('[data-models]')) {
    const shown = field.dataset.models.split(' ').includes(model)
    field.hidden = !shown
    for (const input of field.querySelectorAll('input, select')) input.disabled = !shown
  }
}

/** A rule between two fields, as the API enforces it, or null when it holds. */
function crossFieldProblem (form, input) {
  const value = name => Number(form.elements[name]?.value)
  if (input.name === 'chronicDays' && value('chronicDays') < 2 * value('acuteDays')) {
    return `Chronic window must be at least twice the acute window (${2 * value('acuteDays')} days or more).`
  }
  if (input.name === 'atlDays' && !form.elements.ctlDays.disabled && value('atlDays') >= value('ctlDays')) {
    return 'Fatigue (ATL) days must be fewer than fitness (CTL) days.'
  }
  return null
}

function problemOf (form, input) {
  if (input.disabled) return null
  const { validity } = input
  const bounds = input.min !== '' ? ` between ${input.min} and ${input.max}` : ''
  if (validity.valueMissing) return `${label(input)} is required.`
  if (validity.badInput || validity.rangeUnderflow || validity.rangeOverflow) return `${label(input)} must be a number${bounds}.`
  if (validity.stepMismatch) return `${label(input)} must be ${input.step === '1' ? 'a whole number' : `a multiple of ${input.step}`}${bounds}.`
  return crossFieldProblem(form, input)
}

function showProblem (input, problem) {
  const note = input.closest('label').querySelector('.field-error')
  if (!note) return
  note.textContent = problem ?? ''
  note.hidden = !problem
  if (problem) input.setAttribute('aria-invalid', 'true')
  else input.removeAttribute('aria-invalid')
}

/** Checks every shown field; returns the first with a problem, or null. */
export function validateSettings (form) {
  let first = null
  for (const input of form.querySelectorAll('input, select')) {
    if (!input.name) continue
    const problem = problemOf(form, input)
    showProblem(input, problem)
    if (problem && !first) first = input
  }
  return first
}

/** Re-checks a field as it changes, and the fields whose rules depend on it. */
export function watchSettings (form, onModelChange) {
  form.addEventListener('input', event => {
    const input = event.target
    if (input.name === 'acwrModel') onModelChange(input.value)
    for (const name of [input.name, ...({ acuteDays: ['chronicDays'], ctlDays: ['atlDays'] }[input.name] ?? [])]) {
      const field = form.elements[name]
      if (field?.getAttribute('aria-invalid') || name === input.name) showProblem(field, problemOf(form, field))
    }
  })
}

function currentValues (athlete) {
  return { ...athlete.settings, ...Object.fromEntries(PROFILE_FIELDS.map(field => [field, athlete[field]])) }
}

export function renderSettings (form, athlete) {
  const values = currentValues(athlete)
  // The PMC windows appear only where the service offers them.
  for (const name of ['ctlDays', 'atlDays']) form.elements[name].closest('label').dataset.models = name in values ? 'rolling rolling-uncoupled ewma decay' : 'none'
  for (const name of [...MODEL_FIELDS, ...PROFILE_FIELDS]) {
    if (name in values) form.elements[name].value = values[name] ?? ''
  }
  showModelFields(form, values.acwrModel)
  for (const input of form.querySelectorAll('[aria-invalid]')) showProblem(input, null)
}

/** The shown fields the form changes, typed as the API wants them; an emptied optional field is null. */
export function changedSettings (form, athlete) {
  const current = currentValues(athlete)
  const changes = {}
  for (const field of [...MODEL_FIELDS, ...PROFILE_FIELDS]) {
    const input = form.elements[field]
    if (input.disabled || !(field in current)) continue
    const raw = input.value.trim()
    const value = raw === '' ? null : input.type === 'number' ? Number(raw) : raw
    if (value !== (current[field] ?? null)) changes[field] = value
  }
  return changes
}
