// pulumi-language-python (stand-in): the Python language host the engine talks to.
//
// The real host's Go module (sdk/python/cmd/pulumi-language-python/v3) is not served
// by the Go module proxy this project may use, so this is a small host of our own
// written against the same SDK (sdk/v3 pulumirpc). It does what the engine needs for
// `preview`, `up`, `destroy` and policy packs, the way the real host does it:
//   - Run: resolve the project's virtualenv from the runtime options (relative to the
//     project root), then run the SDK's own shim `pulumi-language-python-exec` (copied
//     from the pinned sdk/v3 module next to this binary by `make pulumi-cli`) with the
//     monitor/engine addresses, PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS.
//   - RunPlugin: run a Python policy pack's entry point with its own virtualenv and
//     stream its output back, so the engine reads the analyzer's port as usual.
// Everything else (dependency installation, code generation, `pulumi about`) is left
// unimplemented; the engine treats those as optional.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The exec shim signals "an error message was already shown to the user" with this code.
const exitAfterUserActionableMessage = 32

func main() {
	engineAddress := ""
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			engineAddress = arg
		}
	}
	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(err)
	}
	host := &pythonHost{engineAddress: engineAddress,
		execShim: filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type pythonHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	execShim      string
}

func (h *pythonHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Plugins are ambient (on PATH) in this setup: nothing to announce or install.
func (h *pythonHost) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *pythonHost) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// python finds the interpreter the way the real host does: the `virtualenv` runtime
// option, relative to the project (or policy pack) root, must exist.
func python(info *pulumirpc.ProgramInfo) (string, []string, error) {
	root := info.GetRootDirectory()
	venv := ""
	if opts := info.GetOptions(); opts != nil {
		if value, ok := opts.AsMap()["virtualenv"].(string); ok {
			venv = value
		}
	}
	if venv == "" {
		path, err := exec.LookPath("python3")
		return path, nil, err
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(root, venv)
	}
	interpreter := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(interpreter); err != nil {
		return "", nil, fmt.Errorf("the 'virtualenv' runtime option of %s points at %s, "+
			"which has no bin/python; create it (make test does) or fix the option", root, venv)
	}
	env := []string{"VIRTUAL_ENV=" + venv,
		"PATH=" + filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
	return interpreter, env, nil
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	interpreter, venvEnv, err := python(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	args := []string{"-u", h.execShim}
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engineAddress)
	flag("project", req.GetProject())
	flag("root_directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", req.GetPwd())
	flag("dry_run", fmt.Sprint(req.GetDryRun()))
	flag("parallel", fmt.Sprint(req.GetParallel()))
	flag("organization", req.GetOrganization())
	program := req.GetInfo().GetEntryPoint()
	if program == "" {
		program = "."
	}
	args = append(args, filepath.Join(req.GetInfo().GetProgramDirectory(), program))
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, interpreter, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), venvEnv...)
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Python plugin (here: the policy pack) and streams its output, from
// which the engine reads the port the plugin serves on.
func (h *pythonHost) RunPlugin(req *pulumirpc.RunPluginRequest,
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	interpreter, venvEnv, err := python(req.GetInfo())
	if err != nil {
		return err
	}
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" || entry == "." {
		entry = "__main__.py"
	}
	args := append([]string{"-u", filepath.Join(req.GetInfo().GetProgramDirectory(), entry)},
		req.GetArgs()...)
	cmd := exec.CommandContext(server.Context(), interpreter, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(append(os.Environ(), venvEnv...), req.GetEnv()...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var sendLock sync.Mutex
	send := func(response *pulumirpc.RunPluginResponse) {
		sendLock.Lock()
		defer sendLock.Unlock()
		_ = server.Send(response)
	}
	var pumps sync.WaitGroup
	pump := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer pumps.Done()
		buf := make([]byte, 4096)
		for {
			n, readErr := r.Read(buf)
			if n > 0 {
				send(wrap(append([]byte(nil), buf[:n]...)))
			}
			if readErr != nil {
				return
			}
		}
	}
	pumps.Add(2)
	go pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	pumps.Wait()
	code := 0
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = exitErr.ExitCode()
	}
	send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
	return nil
}
