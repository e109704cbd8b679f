// The Lua engine Argo CD runs health scripts in, for the health script tests.
module stateful.dev/test/argocd-lua

go 1.24

require github.com/yuin/gopher-lua v1.1.2
