"""The app catalogue (`apps.yaml`): its model, its loader and every check on it.

Two layers of checks, both collecting every problem before anything is declared:
1. structure (pydantic): types, ranges, unknown keys, at any depth;
2. meaning (`check_catalogue`): rules that need the stack (hosts inside the zone, hosts and
   paths unique across apps, stack names that exist, monitors only on public apps, ...).

`App` is what the user wrote; `ResolvedApp` is what components need (hosts made FQDNs,
defaults filled). `apps.schema.json` is generated from `Catalogue` (`python -m components.inputs.catalog`).

- `models`: the pydantic models of a catalogue file and of an app's fields;
- `structure`: a file's structure checked app by app (`parse_catalogue`, `entry_problems`);
- `rules`: the rules across apps and with the stack (`check_catalogue`);
- `resolved`: an app of one stack with its defaults filled (`ResolvedApp`, `resolve_app`);
- `loading`: reading a catalogue file or directory (`load_catalogue`, `entry_stacks`);
- `schema`: the JSON Schema generated from the model (`json_schema`), written by `__main__`.
"""
