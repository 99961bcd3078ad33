package commands

// The key finders below are Redis' getkeys procs for the commands whose key
// specs cannot say where all the keys are or how each is used: SORT's STORE
// (an unknown spec), MIGRATE's KEYS (incomplete), and SET and BITFIELD,
// whose flags depend on the options (variable_flags).

func sortGetKeys(args [][]byte) ([]KeyRef, bool) {
	keys := []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}
	store := -1
	for i := 2; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "limit"):
			i += 2
		case EqualFold(args[i], "get"), EqualFold(args[i], "by"):
			i++
		case EqualFold(args[i], "store") && i+1 < len(args):
			// The last STORE wins, as SORT itself takes it; Redis does not
			// skip its argument here.
			store = i + 1
		}
	}
	if store > 0 {
		keys = append(keys, KeyRef{Pos: store, Flags: KeyOW | KeyUpdate})
	}
	return keys, true
}

func sortROGetKeys(args [][]byte) ([]KeyRef, bool) {
	return []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}, true
}

func migrateGetKeys(args [][]byte) ([]KeyRef, bool) {
	first, num := 3, 1
	for i := 6; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "keys"):
			if len(args[3]) > 0 {
				return nil, false
			}
			first, num = i+1, len(args)-i-1
			i = len(args)
		case EqualFold(args[i], "auth"):
			i++
		case EqualFold(args[i], "auth2"):
			i += 2
		}
	}
	keys := make([]KeyRef, num)
	for i := range keys {
		keys[i] = KeyRef{Pos: first + i, Flags: KeyRW | KeyAccess | KeyDelete}
	}
	return keys, true
}

func setGetKeys(args [][]byte) ([]KeyRef, bool) {
	for _, a := range args[min(3, len(args)):] {
		if EqualFold(a, "get") {
			return []KeyRef{{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate}}, true
		}
	}
	return []KeyRef{{Pos: 1, Flags: KeyOW | KeyUpdate}}, true
}

func bitfieldGetKeys(args [][]byte) ([]KeyRef, bool) {
	readonly := true
scan:
	for i := 2; i < len(args); i++ {
		rest := len(args) - i - 1
		switch {
		case EqualFold(args[i], "get") && rest >= 2:
			i += 2
		case (EqualFold(args[i], "set") || EqualFold(args[i], "incrby")) && rest >= 3:
			readonly = false
			break scan
		case EqualFold(args[i], "overflow") && rest >= 1:
			i++
		default:
			readonly = false // a syntax error: assume it writes
			break scan
		}
	}
	if readonly {
		return []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}, true
	}
	return []KeyRef{{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate}}, true
}
