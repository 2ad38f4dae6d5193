// The code page's Copy button: shown only when this script runs (the code is selectable without it).
for (const button of document.querySelectorAll('button[data-copies]')) {
  const source = document.getElementById(button.dataset.copies);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      () => (button.textContent = 'Copied'),
      () => (button.textContent = 'Select and copy the code'),
    );
  });
}
