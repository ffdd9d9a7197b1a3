// Progressive enhancement: every page works without this file. It tells GOV.UK Frontend's
// styles that its scripts run (some components show or hide parts only then), then starts
// the components on the page. A file, not an inline script: the Content-Security-Policy
// allows scripts from this server only.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
