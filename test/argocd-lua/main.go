// Command argocd-lua evaluates Argo CD health scripts the way Argo CD does for
// a script set in argocd-cm: gopher-lua, with only the package, base and table
// libraries and a reduced os, the object as the global obj, one second to
// finish, and the returned table read as a health status.
//
// It reads a JSON array of {"script": path, "object": {...}} from stdin and
// writes a JSON array of {"status", "message"} or {"error"} in the same order.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type evaluation struct {
	Script string         `json:"script"`
	Object map[string]any `json:"object"`
}

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// The statuses Argo CD accepts; anything else it shows as Unknown.
var validStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true,
	"Suspended": true, "Missing": true, "Unknown": true,
}

const invalidStatusMessage = "Lua returned an invalid health status"

func main() {
	var evaluations []evaluation
	if err := json.NewDecoder(os.Stdin).Decode(&evaluations); err != nil {
		fmt.Fprintln(os.Stderr, "reading evaluations:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(evaluations))
	for _, e := range evaluations {
		results = append(results, evaluate(e))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "writing results:", err)
		os.Exit(2)
	}
}

func evaluate(e evaluation) result {
	script, err := os.ReadFile(e.Script)
	if err != nil {
		return result{Error: err.Error()}
	}
	l := newState()
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, e.Object))
	if err := l.DoString(string(script)); err != nil {
		return result{Error: err.Error()}
	}
	return healthOf(l.Get(-1))
}

// newState opens what Argo CD opens for scripts from argocd-cm (useOpenLibs
// unset): no string, math, io or debug library.
func newState() *lua.LState {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, lua.OpenOs},
	} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	safe := reducedOs(l)
	l.SetGlobal(lua.OsLibName, safe)
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(safe)
		return 1
	})
	return l
}

// reducedOs keeps the clock and calendar functions of os and drops the ones
// that touch the process or the file system.
func reducedOs(l *lua.LState) *lua.LTable {
	full, _ := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := l.NewTable()
	for _, name := range []string{"time", "date", "clock", "difftime"} {
		if full != nil {
			safe.RawSetString(name, full.RawGetString(name))
		}
	}
	return safe
}

func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetString(key, toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

func healthOf(value lua.LValue) result {
	t, ok := value.(*lua.LTable)
	if !ok {
		return result{Error: fmt.Sprintf("expect table output from Lua script, not %s", value.Type())}
	}
	status, _ := t.RawGetString("status").(lua.LString)
	if !validStatuses[string(status)] {
		return result{Status: "Unknown", Message: invalidStatusMessage}
	}
	message := ""
	if m, ok := t.RawGetString("message").(lua.LString); ok {
		message = string(m)
	}
	return result{Status: string(status), Message: message}
}
