// Pictures of the gestures, shared by the presenter page and the serving page (`iconSvg(name)` -> <svg>).
// 48 x 48, white strokes: arrows for swipes, a fist, magnifiers for zoom, a pointing hand, a pen.
const ICONS = {
  "arrow-right": '<path d="M6 24H40M28 12l12 12-12 12"/>',
  "arrow-left": '<path d="M42 24H8M20 12L8 24l12 12"/>',
  "arrow-up": '<path d="M24 42V8M12 20L24 8l12 12"/>',
  "arrow-down": '<path d="M24 6v34M12 28l12 12 12-12"/>',
  "fist": '<rect x="10" y="14" width="28" height="22" rx="7"/><path d="M17 14v10M24 14v10M31 14v10M10 26h8"/>',
  "zoom-in": '<circle cx="20" cy="20" r="12"/><path d="M29 29l12 12M14 20h12M20 14v12"/>',
  "zoom-out": '<circle cx="20" cy="20" r="12"/><path d="M29 29l12 12M14 20h12"/>',
  "point": '<path d="M19 44V34l-5-6M19 34V14a3 3 0 016 0v14h7a4 4 0 014 4v12"/><circle cx="22" cy="5" r="2.5" fill="#f44" stroke="#f44"/>',
  "pen": '<path d="M10 38l4-10L34 8l6 6-20 20z"/><path d="M10 38l8-2"/>',
  "rotate-left": '<path d="M36 30a13 13 0 11-2-14"/><path d="M36 8v9h-9"/>',
  "rotate-right": '<path d="M12 30a13 13 0 102-14"/><path d="M12 8v9h9"/>',
  "hand": '<circle cx="24" cy="24" r="14"/>',
  "done": '<path d="M9 25l10 10L39 13"/>',
};
function iconSvg(name) {
  return '<svg viewBox="0 0 48 48" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" ' +
    'stroke-linejoin="round" aria-hidden="true">' + (ICONS[name] || ICONS.hand) + "</svg>";
}
