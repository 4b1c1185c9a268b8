package flowimage

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// ECRAPI is the part of the ECR client the keychain uses.
type ECRAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ecrHost matches an ECR private registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// ECRRegion returns the region of an ECR registry host, and whether host
// is one.
func ECRRegion(host string) (string, bool) {
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", false
	}
	return m[3], true
}

// Keychain gives the credentials for a registry: an ECR registry's come
// from ecr:GetAuthorizationToken through the AWS SDK (newECR makes the
// client for the registry's region); any other registry's from the Docker
// configuration (~/.docker/config.json), else anonymous.
type Keychain struct {
	ctx    context.Context
	newECR func(region string) (ECRAPI, error)
	mu     sync.Mutex
	auths  map[string]authn.Authenticator
}

// NewKeychain returns a keychain that calls ECR through newECR.
func NewKeychain(ctx context.Context, newECR func(region string) (ECRAPI, error)) *Keychain {
	return &Keychain{ctx: ctx, newECR: newECR, auths: map[string]authn.Authenticator{}}
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	region, ok := ECRRegion(host)
	if !ok {
		return authn.DefaultKeychain.Resolve(r)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.auths[host]; ok {
		return a, nil
	}
	client, err := k.newECR(region)
	if err != nil {
		return nil, fmt.Errorf("log in to %s: %w", host, err)
	}
	out, err := client.GetAuthorizationToken(k.ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("log in to %s (ecr:GetAuthorizationToken): %w", host, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, fmt.Errorf("log in to %s: ecr:GetAuthorizationToken returned no token", host)
	}
	a, err := decodeECRToken(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return nil, fmt.Errorf("log in to %s: %w", host, err)
	}
	k.auths[host] = a
	return a, nil
}

// decodeECRToken reads an ECR authorization token: base64 of "user:password".
func decodeECRToken(tok string) (authn.Authenticator, error) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return nil, fmt.Errorf("the ECR authorization token is not base64: %v", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("the ECR authorization token is not user:password")
	}
	return &authn.Basic{Username: user, Password: pass}, nil
}
