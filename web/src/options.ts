/** Option lines → `{id, label}`: the id is the label in lower-case letters, digits and dashes. */
export function optionsFromLines(text: string): Array<{ id: string; label: string }> {
  const seen = new Set<string>();
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((label, i) => {
      let id =
        label
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[\u0300-\u036f]/g, '')
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 48) || `option-${i + 1}`;
      while (seen.has(id)) id = `${id}-${i + 1}`;
      seen.add(id);
      return { id, label };
    });
}
