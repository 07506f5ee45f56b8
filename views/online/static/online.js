// the print button of the ricevuta: the only behaviour the application has in the browser
document.querySelectorAll('[data-stampa]').forEach((b) => b.addEventListener('click', () => window.print()))
