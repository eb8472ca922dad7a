// pulumi-resource-aws (stand-in): answers the real Pulumi engine as the AWS provider
// would, without an AWS account and without any network traffic.
//
// The gRPC side is the Pulumi SDK's provider support (sdk/v3 go/pulumi/provider and
// pulumirpc). What AWS would answer (invoke results, resource ids and computed
// attributes such as ARNs and endpoints) comes from ops/offline.py's OfflineMocks,
// asked through tools/pulumi-cli/aws_answers.py, so `ops preview` and the engine share
// one source for that data.
//
// What it does not do: validate inputs the way pulumi-aws does (Check returns the
// inputs unchanged), fill provider-side defaults, plan replacements (every change is
// an in-place update), or talk to AWS.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The SDK versions in requirements.txt; the engine asks for these plugin versions. The
// same binary stands in for pulumi-resource-random (make pulumi-cli links it).
var providerVersions = map[string]string{"aws": "7.51.1", "random": "4.21.4"}

func packageName() string {
	return strings.TrimPrefix(filepath.Base(os.Args[0]), "pulumi-resource-")
}

func main() {
	if err := provider.Main(packageName(), func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		answers, err := startAnswers()
		if err != nil {
			return nil, err
		}
		return &awsStandIn{answers: answers}, nil
	}); err != nil {
		cmdutil.ExitError(err.Error())
	}
}

// answers is the Python process holding the offline mocks; one question at a time.
type answers struct {
	lock sync.Mutex
	in   *json.Encoder
	out  *bufio.Scanner
}

// repoRoot is where this binary was built for: <repo>/.tools/pulumi/bin/pulumi-resource-aws.
func repoRoot() (string, error) {
	if root := os.Getenv("CHAINLINK_REPO_ROOT"); root != "" {
		return root, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Abs(filepath.Join(filepath.Dir(self), "..", "..", ".."))
}

func startAnswers() (*answers, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(root, "venv", "bin", "python"),
		filepath.Join(root, "tools", "pulumi-cli", "aws_answers.py"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("stand-in AWS provider: cannot start %s: %w (run make test once to create venv/)",
			cmd.Path, err)
	}
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	return &answers{in: json.NewEncoder(stdin), out: scanner}, nil
}

func (a *answers) ask(question map[string]any) (any, error) {
	a.lock.Lock()
	defer a.lock.Unlock()
	if err := a.in.Encode(question); err != nil {
		return nil, err
	}
	if !a.out.Scan() {
		return nil, errors.New("stand-in AWS provider: the answer process stopped")
	}
	var reply struct {
		Result any    `json:"result"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(a.out.Bytes(), &reply); err != nil {
		return nil, err
	}
	if reply.Error != "" {
		return nil, errors.New(reply.Error)
	}
	return reply.Result, nil
}

type awsStandIn struct {
	pulumirpc.UnimplementedResourceProviderServer
	answers *answers
}

func (p *awsStandIn) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersions[packageName()]}, nil
}

func (p *awsStandIn) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *awsStandIn) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diff(req.GetOldInputs(), req.GetNews()), nil
}

// Configure takes the account from aws:allowedAccountIds (the stack pins exactly one)
// and the region from aws:region, as the real provider would after assuming its role.
func (p *awsStandIn) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	config := req.GetArgs().AsMap()
	if len(config) == 0 {
		for key, value := range req.GetVariables() {
			config[strings.TrimPrefix(key, "aws:config:")] = value
		}
	}
	region, _ := config["region"].(string)
	if region == "" {
		region = "us-east-1"
	}
	account := "123456789012"
	switch ids := config["allowedAccountIds"].(type) {
	case []any:
		if len(ids) > 0 {
			account = fmt.Sprint(ids[0])
		}
	case string:
		var list []string
		if json.Unmarshal([]byte(ids), &list) == nil && len(list) > 0 {
			account = list[0]
		}
	}
	if _, err := p.answers.ask(map[string]any{"op": "configure", "account": account, "region": region}); err != nil {
		return nil, err
	}
	// Secrets come in plain; the engine marks outputs of secret inputs secret again.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: false}, nil
}

func (p *awsStandIn) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	result, err := p.answers.ask(map[string]any{"op": "invoke", "token": req.GetTok(),
		"args": req.GetArgs().AsMap()})
	if err != nil {
		return nil, err
	}
	ret, err := toStruct(result)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func (p *awsStandIn) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *awsStandIn) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diff(req.GetOldInputs(), req.GetNews()), nil
}

// diff reports the top-level keys whose values changed; the stand-in never replaces.
func diff(olds, news *structpb.Struct) *pulumirpc.DiffResponse {
	var changed []string
	oldFields, newFields := olds.GetFields(), news.GetFields()
	for key, value := range newFields {
		if !proto.Equal(value, oldFields[key]) {
			changed = append(changed, key)
		}
	}
	for key := range oldFields {
		if _, ok := newFields[key]; !ok {
			changed = append(changed, key)
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}
}

func (p *awsStandIn) created(urn, resourceType, name string, inputs *structpb.Struct) (string, *structpb.Struct, error) {
	if name == "" {
		name = urn[strings.LastIndex(urn, "::")+2:]
	}
	result, err := p.answers.ask(map[string]any{"op": "create", "type": resourceType, "name": name,
		"inputs": inputs.AsMap()})
	if err != nil {
		return "", nil, err
	}
	answer, _ := result.(map[string]any)
	id, _ := answer["id"].(string)
	state, err := toStruct(answer["state"])
	return id, state, err
}

func resourceType(urn, given string) string {
	if given != "" {
		return given
	}
	parts := strings.Split(urn, "::")
	chain := parts[len(parts)-2]
	return chain[strings.LastIndex(chain, "$")+1:]
}

func (p *awsStandIn) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	id, state, err := p.created(req.GetUrn(), resourceType(req.GetUrn(), req.GetType()), req.GetName(),
		req.GetProperties())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: state}, nil
}

// Update recomputes the outputs from the new inputs; the id stays.
func (p *awsStandIn) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	_, state, err := p.created(req.GetUrn(), resourceType(req.GetUrn(), req.GetType()), req.GetName(),
		req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: state}, nil
}

// Read (refresh, import) finds the resource as it was left: nothing drifts without AWS.
func (p *awsStandIn) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *awsStandIn) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func toStruct(value any) (*structpb.Struct, error) {
	fields, ok := value.(map[string]any)
	if !ok {
		fields = map[string]any{}
	}
	return structpb.NewStruct(fields)
}
