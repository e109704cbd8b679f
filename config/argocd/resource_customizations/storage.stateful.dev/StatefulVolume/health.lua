-- Argo CD health for storage.stateful.dev/StatefulVolume.
--
-- Healthy once the primary claim is bound: that is what the workload mounts.
-- Standbys fall behind after every backup and catch up by themselves, so they
-- are named in the message but never hold a sync wave in Progressing.
-- Degraded is kept for reasons that need a person (a quota, a refused claim, a
-- spec that cannot be met); Progressing for what the operator or the cluster
-- finishes by itself. A status written for an older generation says nothing
-- about the current spec, so it reads as Progressing.
--
-- Only the base and table libraries are used: Argo CD runs scripts from
-- argocd-cm without the string library.

-- Ready copies the reason of Provisioned or ReplicasInSync; the same reason
-- names the same cause on every condition.
local needsAPerson = {
  QuotaExceeded = true,
  ClaimInvalid = true,
  AdoptionRefused = true,
  ProvisioningFailed = true,
  StorageClassNotFound = true,
  NoDefaultStorageClass = true,
  SourceNotFound = true,
  SourceFailed = true,
  SourceIsSelf = true,
  UnknownZone = true,
  NotEnoughZones = true,
  ResizeFailed = true,
  ResizeRefused = true,
  ExpansionNotSupported = true,
}

local function conditionsByType(status)
  local byType = {}
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type ~= nil then
        byType[c.type] = c
      end
    end
  end
  return byType
end

local function isFalse(c)
  return c ~= nil and c.status == "False"
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function describe(c)
  local reason = c.reason or c.type or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    return reason .. ": " .. c.message
  end
  return reason
end

-- The first condition whose reason will not clear without a person. A
-- promotion that stopped (refused or stuck) is one whatever its reason.
local function problemOf(c)
  for _, t in ipairs({ "Provisioned", "Ready", "ReplicasInSync", "Resizing" }) do
    if isFalse(c[t]) and needsAPerson[c[t].reason] then
      return c[t]
    end
  end
  if isFalse(c.Promoting) and c.Promoting.reason ~= "PromotionCompleted" then
    return c.Promoting
  end
  return nil
end

local function primaryBound(status, c)
  if c.Provisioned ~= nil then
    return c.Provisioned.status == "True"
  end
  return status.phase == "Bound" or status.phase == "Resizing" or status.phase == "Ready"
end

-- With volumeBindingMode WaitForFirstConsumer the claim binds only once a pod
-- mounts it, and that pod usually comes in the same or a later wave.
local function waitingForFirstConsumer(c)
  for _, t in ipairs({ "Provisioned", "Ready" }) do
    if isFalse(c[t]) and c[t].reason == "WaitingForFirstConsumer" then
      return c[t]
    end
  end
  return nil
end

local function primaryText(status)
  local claim = status.claimName
  local zone = nil
  if status.primary ~= nil then
    claim = status.primary.claim or claim
    zone = status.primary.zone
  end
  local text = "Primary claim " .. (claim or "") .. " is bound"
  if zone ~= nil then
    text = text .. " in zone " .. zone
  end
  return text .. "."
end

local function staleStandbys(status)
  local names = {}
  if status.replicas ~= nil then
    for _, r in ipairs(status.replicas) do
      if r.role == "Standby" and r.phase ~= "InSync" then
        table.insert(names, (r.name or "?") .. " " .. (r.phase or "Pending"))
      end
    end
  end
  return names
end

local function healthyMessage(status, c)
  if isTrue(c.Ready) and c.Ready.message ~= nil then
    return c.Ready.message
  end
  local text = primaryText(status)
  local stale = staleStandbys(status)
  if #stale > 0 then
    text = text .. " Standbys not in sync: " .. table.concat(stale, ", ") .. "."
  end
  if isFalse(c.ReplicasInSync) then
    text = text .. " " .. describe(c.ReplicasInSync)
  end
  return text
end

local function health(o)
  local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
  local status = o.status
  if status == nil then
    return hs
  end
  local generation = o.metadata.generation or 0
  if status.observedGeneration == nil or status.observedGeneration < generation then
    hs.message = "Waiting for the operator to observe generation " .. generation
    return hs
  end
  if status.phase == "Deleting" then
    hs.message = "Deleting: the reclaim policy is being carried out"
    return hs
  end
  local c = conditionsByType(status)
  local problem = problemOf(c)
  if problem ~= nil or status.phase == "Failed" then
    hs.status = "Degraded"
    hs.message = describe(problem or c.Provisioned or c.Ready or { reason = "Failed" })
    return hs
  end
  if isTrue(c.Promoting) then
    hs.message = describe(c.Promoting)
    return hs
  end
  if not primaryBound(status, c) then
    local waiting = waitingForFirstConsumer(c)
    if waiting ~= nil then
      hs.status = "Healthy"
      hs.message = describe(waiting)
      return hs
    end
    local why = c.Provisioned or c.Ready
    hs.message = (why and describe(why)) or ("Phase " .. (status.phase or "unknown"))
    return hs
  end
  -- A resize in progress is the spec change just synced; the filesystem part
  -- waits for a pod, so without one it must not hold the wave that brings it.
  if isTrue(c.Resizing) then
    hs.message = describe(c.Resizing)
    if isTrue(c.Attached) then
      return hs
    end
  end
  hs.status = "Healthy"
  if not isTrue(c.Resizing) then
    hs.message = healthyMessage(status, c)
  end
  return hs
end

return health(obj)
