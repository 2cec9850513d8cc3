// The floors of src/, from the ground up. A room may import rooms on lower
// floors only: never a room above it, never a neighbour on its own floor.
// `npm run lint` enforces it (docs/development.md says what belongs where).
// A new top-level file or folder in src/ must be given a floor here.
const FLOORS = [
  /* 0 */ ['paths', 'deadline', 'secret-strength', 'log', 'errors', 'teams-clouds', 'i18n/'],
  /* 1 */ ['phases', 'urls', 'contracts/', 'redis/'],
  /* 2 */ ['config', 'config-vars'],
  /* 3 */ ['artifacts/', 'report/', 'history/'],
  /* 4 */ ['browser/', 'delivery/'],
  /* 5 */ ['alerts/', 'server/'],
  /* 6 */ ['processors/'],
  /* 7 */ ['queue/'],
  /* 8 */ ['doctor', 'demo/', 'public/', 'console/'],
  /* 9 */ ['commands/'],
  /* 10 */ ['cli'],
];

// config.ts and config-vars.ts are one room (the settings and their declarations).
const ROOM_ALIASES = { 'config-vars': 'config' };

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The path pattern of one room: a folder, or a top-level file. */
const pathOf = (room) => (room.endsWith('/') ? `^src/${escapeRegExp(room)}` : `^src/${escapeRegExp(room)}\\.ts$`);
const floorOf = (room) => FLOORS.findIndex((rooms) => rooms.includes(room));
const sameRoom = (a, b) => (ROOM_ALIASES[a] ?? a) === (ROOM_ALIASES[b] ?? b);

const rooms = FLOORS.flat();
const floorRules = rooms.flatMap((room) => {
  const above = rooms.filter((other) => !sameRoom(other, room) && floorOf(other) >= floorOf(room));
  if (above.length === 0) return []; // the top floor may import anything below it
  return {
    name: `floor-${floorOf(room)}:${room.replace(/\/$/, '')}`,
    comment: `${room} is on floor ${floorOf(room)}: it may import only rooms on lower floors`,
    severity: 'error',
    from: { path: pathOf(room) },
    to: { path: above.map(pathOf) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: 'no-circular',
      comment: 'no module may reach itself through its imports',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'room-without-floor',
      comment: 'every module of src/ lives in a room that has a floor in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: rooms.map(pathOf) },
      to: {},
    },
  ],
  options: {
    // Type-only imports are arrows too: a type from a higher floor still ties the rooms together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
