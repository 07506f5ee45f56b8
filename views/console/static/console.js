// the print buttons of the report pages: the only behaviour the console has in the browser
document.querySelectorAll('[data-stampa]').forEach((b) => b.addEventListener('click', () => window.print()))
