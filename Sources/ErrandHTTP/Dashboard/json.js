// Reads the members of a JSON object as the server wrote them, byte for byte: a task's arguments and result are shown
// verbatim, so that a 20-digit integer or a float's exact digits survive (JSON.parse would round them).

/** The raw text of each member of the top-level object in `text`, by name; {} when `text` is not an object. */
export function rawMembers(text) {
  const members = {};
  let index = skipSpace(text, 0);
  if (text[index] !== "{") return members;
  index = skipSpace(text, index + 1);
  while (index < text.length && text[index] === '"') {
    const keyEnd = stringEnd(text, index);
    const name = JSON.parse(text.slice(index, keyEnd));
    index = skipSpace(text, keyEnd);
    if (text[index] !== ":") break;
    index = skipSpace(text, index + 1);
    const end = valueEnd(text, index);
    members[name] = text.slice(index, end);
    index = skipSpace(text, end);
    if (text[index] === ",") index = skipSpace(text, index + 1);
  }
  return members;
}

function skipSpace(text, index) {
  while (index < text.length && " \t\n\r".includes(text[index])) index += 1;
  return index;
}

/** The index after the string that starts at `index` (a `"`). */
function stringEnd(text, index) {
  index += 1;
  while (index < text.length && text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
  return index + 1;
}

/** The index after the value that starts at `index`. */
function valueEnd(text, index) {
  if (text[index] === '"') return stringEnd(text, index);
  if (text[index] === "{" || text[index] === "[") {
    let depth = 0;
    while (index < text.length) {
      const character = text[index];
      if (character === '"') {
        index = stringEnd(text, index);
        continue;
      }
      if (character === "{" || character === "[") depth += 1;
      if (character === "}" || character === "]") {
        depth -= 1;
        if (depth === 0) return index + 1;
      }
      index += 1;
    }
    return index;
  }
  while (index < text.length && !",}] \t\n\r".includes(text[index])) index += 1;
  return index;
}
