package commands

// Scripting. The server runs these (Flags include Server): a write script
// runs on the leader at the head of the log and what it did is replicated
// as its effects (see server/cmd_script.go and fsm.Speculate); read-only
// scripts run on the read path.
func init() {
	const s = Server
	register(
		&Command{Name: "eval", Keys: "RW access update index=2 keynum=0,1,1 # We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", Complexity: "Depends on the script that is executed.", Arity: -3, Flags: s | NoScript | Stale | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "2.6.0", Summary: "Executes a server-side Lua script.", Args: "script numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "evalsha", Keys: "RW access update index=2 keynum=0,1,1", Complexity: "Depends on the script that is executed.", Arity: -3, Flags: s | NoScript | Stale | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "2.6.0", Summary: "Executes a server-side Lua script by SHA1 digest.", Args: "sha1 numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "eval_ro", Keys: "RO access index=2 keynum=0,1,1 # We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", Complexity: "Depends on the script that is executed.", Arity: -3, Flags: s | NoScript | Stale | ReadOnly | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "7.0.0", Summary: "Executes a read-only server-side Lua script.", Args: "script numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "evalsha_ro", Keys: "RO access index=2 keynum=0,1,1", Complexity: "Depends on the script that is executed.", Arity: -3, Flags: s | NoScript | Stale | ReadOnly | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "7.0.0", Summary: "Executes a read-only server-side Lua script by SHA1 digest.", Args: "sha1 numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "fcall", Keys: "RW access update index=2 keynum=0,1,1 # We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", Complexity: "Depends on the function that is executed.", Arity: -3, Flags: s | NoScript | Stale | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "7.0.0", Summary: "Invokes a function.", Args: "function numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "fcall_ro", Keys: "RO access index=2 keynum=0,1,1 # We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", Complexity: "Depends on the function that is executed.", Arity: -3, Flags: s | NoScript | Stale | ReadOnly | MovableKeys | SkipMonitor | NoMandatoryKeys, Group: "scripting", Since: "7.0.0", Summary: "Invokes a read-only function.", Args: "function numkeys [key [key ...]] [arg [arg ...]]"},
		&Command{Name: "function", Hidden: NoScript, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | NoScript, Group: "scripting", Since: "7.0.0", Summary: "A container for function commands.", Args: "LOAD|DELETE|FLUSH|LIST|STATS|KILL|DUMP|RESTORE|HELP [arguments]"},
		&Command{Name: "script", Hidden: NoScript, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | NoScript, Group: "scripting", Since: "2.6.0", Summary: "A container for Lua scripts management commands.", Args: "LOAD|EXISTS|FLUSH|KILL|HELP [arguments]"},
	)
}
